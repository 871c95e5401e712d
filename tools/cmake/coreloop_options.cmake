# Compiler flags shared by every coreloop target: warnings, sanitizers.
add_library(coreloop_options INTERFACE)
target_compile_options(coreloop_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
# GCC emits the symmetric transfer of `co_await coro` (await_suspend returning a handle) as a
# tail call only with sibling-call optimisation, which -O0 lacks: every inline await of a
# coroutine that finishes at once would then leave stack frames behind, and a long loop of
# them overflows the stack. Debug builds therefore use -Og with sibling calls on.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(coreloop_options INTERFACE
        $<$<CONFIG:Debug>:-Og -foptimize-sibling-calls>)
endif()
if(CORELOOP_WERROR)
    target_compile_options(coreloop_options INTERFACE -Werror)
endif()
if(CORELOOP_SANITIZE)
    target_compile_options(coreloop_options INTERFACE
        -fsanitize=${CORELOOP_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(coreloop_options INTERFACE -fsanitize=${CORELOOP_SANITIZE})
endif()

# coreloop_check_headers(<target> <include dir>): every public header must compile alone.
function(coreloop_check_headers target include_dir)
    file(GLOB_RECURSE headers CONFIGURE_DEPENDS RELATIVE ${include_dir} ${include_dir}/*.hpp)
    set(sources)
    foreach(header IN LISTS headers)
        string(MAKE_C_IDENTIFIER ${header} name)
        set(source ${CMAKE_CURRENT_BINARY_DIR}/check_headers/${name}.cpp)
        file(CONFIGURE OUTPUT ${source} CONTENT "#include <${header}>\n")
        list(APPEND sources ${source})
    endforeach()
    add_library(${target}_check_headers OBJECT EXCLUDE_FROM_ALL ${sources})
    target_link_libraries(${target}_check_headers PRIVATE ${target})
    if(NOT TARGET coreloop_check_headers)
        add_custom_target(coreloop_check_headers)
    endif()
    add_dependencies(coreloop_check_headers ${target}_check_headers)
endfunction()
