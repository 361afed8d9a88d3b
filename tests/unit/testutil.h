/*
 * testutil.h - shared bits of the cmocka unit tests.
 */
#ifndef TCPFSM_TEST_UTIL_H
#define TCPFSM_TEST_UTIL_H

/* cmocka needs these before its header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#endif
