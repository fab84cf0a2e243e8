/* The libFuzzer entry point, declared once for -Wmissing-prototypes. */
#ifndef PP_FUZZ_H
#define PP_FUZZ_H
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
