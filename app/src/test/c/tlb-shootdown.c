/* tlb-shootdown: a load made of remote TLB flushes. Two threads of one process, one per CPU, each maps, touches and
 * unmaps a few pages in a loop; every munmap must flush the other CPU's TLB, since the process's address space is live
 * there. Prints the elapsed time. Built static by SmpHypercallsIT for the stock-Linux guest's initramfs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static long rounds;

static void *worker(void *arg) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)(long)arg, &set);
    sched_setaffinity(0, sizeof set, &set);
    for (long i = 0; i < rounds; i++) {
        volatile char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("mmap");
            exit(1);
        }
        for (int page = 0; page < 4; page++) p[page * 4096] = (char)i;
        munmap((void *)p, 4 * 4096);
    }
    return NULL;
}

int main(int argc, char **argv) {
    rounds = argc > 1 ? atol(argv[1]) : 2000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t t[2];
    for (long c = 0; c < 2; c++) pthread_create(&t[c], NULL, worker, (void *)c);
    for (int c = 0; c < 2; c++) pthread_join(t[c], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.3f\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
