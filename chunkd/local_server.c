/*
 * local_server.c - one thread, poll(), the socket and its readers.
 */
#include "local_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "local_chunk.h"
#include "log.h"

/* poll slots: the stop pipe, the listening socket, then the readers */
#define SLOT_STOP 0
#define SLOT_LISTEN 1
#define SLOT_FIRST 2
#define SLOTS (SLOT_FIRST + LOCAL_SERVER_MAX_CLIENTS)

struct local_server {
    struct chunk_store *store;
    struct auth_keys keys;
    int stop_pipe[2];
    struct pollfd fds[SLOTS];
    pid_t pids[SLOTS]; /* each reader's pid, for the log */
    pid_t last_pid;    /* of the last reader admitted */
    pthread_t thread;
};

static pid_t peer_pid(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0
               ? cred.pid
               : 0;
}

static void hang_up(struct local_server *ls, int slot)
{
    close(ls->fds[slot].fd);
    ls->fds[slot].fd = -1;
}

/* A new reader: into a free slot once it has proved the secret.  The
 * proofs block this thread for at most a step's timeout each; a local
 * process that connects and stalls delays other readers by that much,
 * never more. */
static void admit(struct local_server *ls)
{
    int fd = accept4(ls->fds[SLOT_LISTEN].fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return;
    pid_t pid = peer_pid(fd);
    int slot = SLOT_FIRST;
    while (slot < SLOTS && ls->fds[slot].fd >= 0)
        slot++;
    if (slot == SLOTS) {
        log_warn("local reads: %d readers connected already; pid %d uses "
                 "HTTP",
                 LOCAL_SERVER_MAX_CLIENTS, (int)pid);
        close(fd);
        return;
    }
    int rc = local_chunk_accept(fd, &ls->keys, LOCAL_SERVER_STEP_MS);
    if (rc < 0) {
        log_warn("local reads: refused pid %d: %s", (int)pid,
                 rc == -EACCES ? "it does not hold the cluster secret"
                               : strerror(-rc));
        close(fd);
        return;
    }
    ls->fds[slot].fd = fd;
    ls->pids[slot] = pid;
    /* A mount opens more connections as its readers grow busier: say so
     * once per reader, not once per connection. */
    log_msg(pid == ls->last_pid ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO,
            "local reads: pid %d connected", (int)pid);
    ls->last_pid = pid;
}

/* One request of the reader in slot; false when it is gone. */
static bool serve(struct local_server *ls, int slot)
{
    struct local_chunk_reply r = {0};
    char id[CHUNK_ID_STRLEN];
    int chunk_fd = -1, fd = ls->fds[slot].fd;
    uint64_t size;
    int rc = local_chunk_read_request(fd, id);

    if (rc < 0 && rc != -EINVAL) return false;
    if (rc == 0) {
        rc = chunk_store_open_read(ls->store, id, &chunk_fd, &size);
        if (rc == 0 && chunk_store_read_check(chunk_fd, r.check) < 0)
            r.check[0] = '\0';
    }
    r.err = -rc;
    rc = local_chunk_send_reply(fd, &r, chunk_fd);
    if (chunk_fd >= 0) close(chunk_fd);
    if (rc < 0)
        log_warn("local reads: pid %d: %s", (int)ls->pids[slot],
                 strerror(-rc));
    return rc == 0;
}

static void *local_server_main(void *arg)
{
    struct local_server *ls = arg;

    for (;;) {
        if (poll(ls->fds, SLOTS, -1) < 0) {
            if (errno == EINTR) continue;
            log_error("local reads: poll: %s", strerror(errno));
            break;
        }
        if (ls->fds[SLOT_STOP].revents) break;
        if (ls->fds[SLOT_LISTEN].revents & POLLIN) admit(ls);
        for (int i = SLOT_FIRST; i < SLOTS; i++) {
            short ev = ls->fds[i].fd >= 0 ? ls->fds[i].revents : 0;
            if (ev & POLLIN) {
                if (!serve(ls, i)) hang_up(ls, i);
            } else if (ev & (POLLHUP | POLLERR | POLLNVAL)) {
                hang_up(ls, i);
            }
        }
    }
    return NULL;
}

static void local_server_free(struct local_server *ls)
{
    for (int i = SLOT_LISTEN; i < SLOTS; i++)
        if (ls->fds[i].fd >= 0) close(ls->fds[i].fd);
    if (ls->stop_pipe[0] >= 0) close(ls->stop_pipe[0]);
    if (ls->stop_pipe[1] >= 0) close(ls->stop_pipe[1]);
    sodium_memzero(&ls->keys, sizeof(ls->keys));
    free(ls);
}

struct local_server *local_server_start(const char *addr,
                                        struct chunk_store *store,
                                        const struct auth_keys *keys)
{
    struct local_server *ls = calloc(1, sizeof(*ls));
    char err[256];

    if (!ls) return NULL;
    ls->store = store;
    ls->keys = *keys;
    ls->stop_pipe[0] = ls->stop_pipe[1] = -1;
    for (int i = 0; i < SLOTS; i++)
        ls->fds[i] = (struct pollfd){.fd = -1, .events = POLLIN};
    ls->fds[SLOT_LISTEN].fd = local_chunk_listen(addr, err, sizeof(err));
    if (ls->fds[SLOT_LISTEN].fd < 0) {
        log_warn("%s; readers on this host use HTTP", err);
        local_server_free(ls);
        return NULL;
    }
    if (pipe2(ls->stop_pipe, O_CLOEXEC) < 0) {
        log_warn("local reads: cannot start: %s", strerror(errno));
        local_server_free(ls);
        return NULL;
    }
    ls->fds[SLOT_STOP].fd = ls->stop_pipe[0];
    if (pthread_create(&ls->thread, NULL, local_server_main, ls) != 0) {
        log_warn("local reads: cannot start a thread");
        local_server_free(ls);
        return NULL;
    }
    return ls;
}

void local_server_stop(struct local_server *ls)
{
    if (!ls) return;
    (void)!write(ls->stop_pipe[1], "x", 1);
    pthread_join(ls->thread, NULL);
    local_server_free(ls);
}
