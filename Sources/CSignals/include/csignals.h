// Async-signal-safe bookkeeping Swift cannot express: temporary files to remove when a signal ends
// the process, and memory-mapped files that may shrink under their mapping (SIGBUS). Nothing else.
#pragma once
#include <stddef.h>

/// Registers `path` to be removed (rmdir when `is_dir`) if a fatal signal ends the process; returns
/// a slot for `saex_cleanup_unregister`, or -1 when every slot is taken (the path is then not tracked).
int saex_cleanup_register(const char *path, int is_dir);
/// Forgets a slot (after the file was renamed into place or removed); -1 is ignored.
void saex_cleanup_unregister(int slot);
/// Removes every registered path: files first, then folders. Async-signal-safe (unlink, rmdir).
void saex_cleanup_run(void);
/// For each of SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2, SIGVTALRM,
/// SIGPROF, SIGXCPU, SIGPWR whose action is the default (an ignored SIGHUP under nohup stays
/// ignored), installs a handler that runs the cleanup and then dies by the same signal, and
/// unblocks it (a blocked mask is inherited across exec).
void saex_cleanup_install_handlers(void);

/// Registers a mapped region [base, base + length) of a file. If the file shrinks and a read
/// beyond its new end raises SIGBUS, the handler replaces the whole region with zero pages, marks
/// the slot, and lets the read go on; callers check `saex_mapguard_faulted` before trusting what
/// they computed. Returns a slot, or -1 when every slot is taken (the region is then unguarded).
int saex_mapguard_register(const void *base, size_t length);
/// Forgets a slot before the region is unmapped; -1 is ignored.
void saex_mapguard_unregister(int slot);
/// 1 when a read in the slot's region faulted since it was registered.
int saex_mapguard_faulted(int slot);
/// Faults absorbed since the start, over all regions.
long saex_mapguard_fault_count(void);
/// Called (async-signal context) before the process dies of a SIGBUS outside every guarded region,
/// e.g. to restore the terminal. The handler then runs the cleanup and re-raises with the default action.
void saex_mapguard_set_fatal_hook(void (*hook)(void));
/// Installs the SIGBUS handler (done by the first `saex_mapguard_register` too). Idempotent.
void saex_mapguard_install(void);
