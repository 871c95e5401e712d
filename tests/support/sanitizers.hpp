// CORELOOP_TEST_SANITIZED: defined when the tests are built with AddressSanitizer or
// ThreadSanitizer (GCC's __SANITIZE_*__ or clang's __has_feature), so stress tests can scale
// their sizes down to the sanitizers' per-access cost.
#pragma once

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define CORELOOP_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define CORELOOP_TEST_SANITIZED 1
#endif
#endif
