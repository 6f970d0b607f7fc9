/* What a recv that finds nothing costs on this machine, against a syscall that does nothing
 * (docs/BENCHMARKS.md, "Reads that wait first"). Loopback TCP pair, non-blocking, no data.
 *
 *   cc -O2 -o /tmp/eagain_recv docs/bench/eagain_recv.c && taskset -c 0 /tmp/eagain_recv
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr*)&a, sizeof a) || getsockname(l, (struct sockaddr*)&a, &len) ||
        listen(l, 1))
        return perror("listen"), 1;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr*)&a, sizeof a))
        return perror("connect"), 1;
    int s = accept(l, NULL, NULL);
    if (s < 0 || fcntl(s, F_SETFL, O_NONBLOCK))
        return perror("accept"), 1;
    char buf[4096];
    const int n = 2000000;
    for (int round = 0; round < 3; ++round) {
        double t0 = now();
        for (int i = 0; i < n; ++i)
            if (recv(s, buf, sizeof buf, 0) >= 0 || errno != EAGAIN)
                return fprintf(stderr, "recv did not fail with EAGAIN\n"), 1;
        double t1 = now();
        for (int i = 0; i < n; ++i)
            (void)getppid();
        double t2 = now();
        printf("recv -> EAGAIN: %.0f ns   getppid: %.0f ns\n", (t1 - t0) / n * 1e9, (t2 - t1) / n * 1e9);
    }
    return 0;
}
