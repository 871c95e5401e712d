// coreloop-httpd's entry point (being written: issue #7).
#include <cstdio>

int main() {
    std::fprintf(stderr, "coreloop-httpd: not built yet\n");
    return 2;
}
