// System-library shim for ncursesw's wide-character API (Debian: libncursesw5-dev). Nothing else.
#pragma once
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <locale.h>
#include <ncursesw/curses.h>

// Accessors for ncurses globals and macros that Swift cannot import or treats as shared mutable state.
static inline WINDOW *saex_stdscr(void) { return stdscr; }
static inline int saex_lines(void) { return LINES; }
static inline int saex_cols(void) { return COLS; }
static inline int saex_colors(void) { return COLORS; }
static inline attr_t saex_a_normal(void) { return A_NORMAL; }
static inline attr_t saex_a_bold(void) { return A_BOLD; }
static inline attr_t saex_a_reverse(void) { return A_REVERSE; }
static inline attr_t saex_a_underline(void) { return A_UNDERLINE; }
static inline attr_t saex_a_dim(void) { return A_DIM; }
static inline int saex_key_resize(void) { return KEY_RESIZE; }
static inline int saex_key_code_yes(void) { return KEY_CODE_YES; }
static inline int saex_err(void) { return ERR; }
static inline FILE *saex_stdout_file(void) { return stdout; }
static inline FILE *saex_stdin_file(void) { return stdin; }
