#define _GNU_SOURCE
#include "csignals.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// ---- temporary files removed on a fatal signal ----

#define CLEANUP_SLOTS 256

struct cleanup_slot {
    int state;  // 0 free, 1 registered; read by the handler with acquire loads
    int is_dir;
    char path[PATH_MAX];
};

static struct cleanup_slot cleanup_slots[CLEANUP_SLOTS];
static pthread_mutex_t cleanup_mutex = PTHREAD_MUTEX_INITIALIZER;

int saex_cleanup_register(const char *path, int is_dir) {
    size_t n = strlen(path);
    if (n >= PATH_MAX) return -1;
    int found = -1;
    pthread_mutex_lock(&cleanup_mutex);
    for (int i = 0; i < CLEANUP_SLOTS; i++) {
        if (__atomic_load_n(&cleanup_slots[i].state, __ATOMIC_ACQUIRE) == 0) {
            memcpy(cleanup_slots[i].path, path, n + 1);
            cleanup_slots[i].is_dir = is_dir;
            __atomic_store_n(&cleanup_slots[i].state, 1, __ATOMIC_RELEASE);
            found = i;
            break;
        }
    }
    pthread_mutex_unlock(&cleanup_mutex);
    return found;
}

void saex_cleanup_unregister(int slot) {
    if (slot < 0 || slot >= CLEANUP_SLOTS) return;
    pthread_mutex_lock(&cleanup_mutex);
    __atomic_store_n(&cleanup_slots[slot].state, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&cleanup_mutex);
}

void saex_cleanup_run(void) {
    int saved = errno;
    for (int i = 0; i < CLEANUP_SLOTS; i++) {
        if (__atomic_load_n(&cleanup_slots[i].state, __ATOMIC_ACQUIRE) == 1 && !cleanup_slots[i].is_dir) {
            unlink(cleanup_slots[i].path);
        }
    }
    // Folders after their files, the most recently registered first.
    for (int i = CLEANUP_SLOTS - 1; i >= 0; i--) {
        if (__atomic_load_n(&cleanup_slots[i].state, __ATOMIC_ACQUIRE) == 1 && cleanup_slots[i].is_dir) {
            rmdir(cleanup_slots[i].path);
        }
    }
    errno = saved;
}

static void die_by(int sig) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);  // blocked while the handler runs: delivered, with the default action, on return
}

static void cleanup_handler(int sig) {
    saex_cleanup_run();
    die_by(sig);
}

void saex_cleanup_install_handlers(void) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2,
                               SIGVTALRM, SIGPROF, SIGXCPU, SIGPWR};
    sigset_t unblock;
    sigemptyset(&unblock);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO)) continue;
        struct sigaction act;
        memset(&act, 0, sizeof act);
        act.sa_handler = cleanup_handler;
        sigemptyset(&act.sa_mask);
        sigaction(sigs[i], &act, NULL);
        sigaddset(&unblock, sigs[i]);
    }
    // A parent may have started saex with these blocked (the mask survives exec): a ctrl-c would
    // then wait until the end, and the temporary file with it.
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
}

// ---- mapped files that shrink (SIGBUS) ----

#define MAP_SLOTS 1024

struct map_slot {
    uintptr_t base;  // 0: free
    size_t length;
    int faulted;
};

static struct map_slot map_slots[MAP_SLOTS];
static pthread_mutex_t map_mutex = PTHREAD_MUTEX_INITIALIZER;
static long map_faults;
static void (*fatal_hook)(void);
static pthread_once_t map_once = PTHREAD_ONCE_INIT;

static void sigbus_handler(int sig, siginfo_t *info, void *context) {
    (void)context;
    uintptr_t addr = (uintptr_t)info->si_addr;
    for (int i = 0; i < MAP_SLOTS; i++) {
        uintptr_t base = __atomic_load_n(&map_slots[i].base, __ATOMIC_ACQUIRE);
        size_t length = __atomic_load_n(&map_slots[i].length, __ATOMIC_ACQUIRE);
        if (base == 0 || addr < base || addr - base >= length) continue;
        // The file behind this region shrank: zero pages in its place let the read finish; the
        // caller learns from the slot's flag that what it read is not the file.
        void *p = mmap((void *)base, length, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p != MAP_FAILED) {
            __atomic_store_n(&map_slots[i].faulted, 1, __ATOMIC_RELEASE);
            __atomic_add_fetch(&map_faults, 1, __ATOMIC_RELAXED);
            return;
        }
        break;
    }
    void (*hook)(void) = __atomic_load_n(&fatal_hook, __ATOMIC_ACQUIRE);
    if (hook) hook();
    saex_cleanup_run();
    die_by(sig);
}

static void install_once(void) {
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = sigbus_handler;
    act.sa_flags = SA_SIGINFO;
    sigemptyset(&act.sa_mask);
    sigaction(SIGBUS, &act, NULL);
}

void saex_mapguard_install(void) { pthread_once(&map_once, install_once); }

int saex_mapguard_register(const void *base, size_t length) {
    if (base == NULL || length == 0) return -1;
    saex_mapguard_install();
    long page = sysconf(_SC_PAGESIZE);
    size_t rounded = (length + (size_t)page - 1) / (size_t)page * (size_t)page;
    int found = -1;
    pthread_mutex_lock(&map_mutex);
    for (int i = 0; i < MAP_SLOTS; i++) {
        if (__atomic_load_n(&map_slots[i].base, __ATOMIC_ACQUIRE) == 0) {
            __atomic_store_n(&map_slots[i].faulted, 0, __ATOMIC_RELEASE);
            __atomic_store_n(&map_slots[i].length, rounded, __ATOMIC_RELEASE);
            __atomic_store_n(&map_slots[i].base, (uintptr_t)base, __ATOMIC_RELEASE);
            found = i;
            break;
        }
    }
    pthread_mutex_unlock(&map_mutex);
    return found;
}

void saex_mapguard_unregister(int slot) {
    if (slot < 0 || slot >= MAP_SLOTS) return;
    pthread_mutex_lock(&map_mutex);
    __atomic_store_n(&map_slots[slot].base, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&map_slots[slot].length, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&map_mutex);
}

int saex_mapguard_faulted(int slot) {
    if (slot < 0 || slot >= MAP_SLOTS) return 0;
    return __atomic_load_n(&map_slots[slot].faulted, __ATOMIC_ACQUIRE);
}

long saex_mapguard_fault_count(void) { return __atomic_load_n(&map_faults, __ATOMIC_RELAXED); }

void saex_mapguard_set_fatal_hook(void (*hook)(void)) {
    saex_mapguard_install();
    __atomic_store_n(&fatal_hook, hook, __ATOMIC_RELEASE);
}
