/* cmocka needs these before it; one include for every test. */
#ifndef PP_TEST_CMOCKA_ALL_H
#define PP_TEST_CMOCKA_ALL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
