/*
 * The physical limit for the SQLite phases: the workload (shared rows, table, indexes, pragmas) driven
 * straight through libsqlite3's C API, linked against the very SQLite build Microsoft.Data.Sqlite loads
 * (SQLitePCLRaw's libe_sqlite3.so), so the only difference to AgentLedger is everything above the engine.
 *
 *   sqlite_limit p1 DIRECTORY SINGLE_APPENDS TRIAL        one P1 trial (run right after its .NET twins)
 *   sqlite_limit bulk DIRECTORY N TURNS_PER_RUN TRIALS    P2, then P4 (TRIALS times), P5, P7 over what P2 stored
 *   sqlite_limit reads FILE N TURNS_PER_RUN [SQL]         P5, P7 on a new read-only connection to a store (the scaling rows)
 *
 * Prints one JSON line per measurement (system "c"). Built by scripts/bench.sh, never by the tests.
 * Reads touch every column (sqlite3_column_* of all twelve, text lengths summed into a checksum) but make
 * no copies: materialising strings is what a managed reader must do beyond this, and is measured apart.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define COLUMNS "\"offset\", id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id"

static const char *TABLE =
    "CREATE TABLE events ("
    " \"offset\" INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, run_id TEXT NOT NULL, turn INTEGER NOT NULL,"
    " kind TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL,"
    " schema_version INTEGER NOT NULL DEFAULT 1, session_id TEXT, model_profile TEXT, model_id TEXT);"
    "CREATE INDEX idx_events_run_offset ON events(run_id, \"offset\");"
    "CREATE INDEX idx_events_kind ON events(kind);"
    "CREATE INDEX idx_events_actor ON events(actor);"
    "CREATE INDEX idx_events_session_id ON events(session_id);"
    "CREATE INDEX idx_events_model_id ON events(model_id);";

static const char *INSERT =
    "INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

static const char *KINDS[] = {"agent.spoke", "agent.thought", "world.observed", "judge.verdict"};
static const char *ACTORS[] = {"alice", "bob", "carol", "dave", "judge"};
static const char *MODELS[] = {"openai/gpt-4o-mini", "google/gemma-3-12b", "openbmb/MiniCPM4.1-8B"};
static char TEXT[161];

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(sqlite3 *db, const char *what) {
    fprintf(stderr, "sqlite_limit: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
    char *error = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK) {
        fprintf(stderr, "sqlite_limit: %s: %s\n", sql, error);
        exit(1);
    }
}

static sqlite3 *open_store(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.db", dir, name);
    remove(path);
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) die(db, path);
    exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;");
    exec(db, TABLE);
    return db;
}

static uint64_t splitmix(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* One event's text columns, as the workload makes them (ids UUID4-shaped, derived from space and i). */
typedef struct {
    char id[37], run[16], payload[256], created[100], session[16];
    int turn, payload_len;
} row;

static void make_row(row *r, int i, int turns, uint64_t space) {
    uint64_t state = space * 1000003ull + (uint64_t)i;
    uint64_t a = splitmix(&state), b = splitmix(&state);
    a = (a & ~0xF000ull) | 0x4000ull;
    b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
    snprintf(r->id, sizeof r->id, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xFFFF,
             (unsigned)a & 0xFFFF, (unsigned)(b >> 48), (unsigned long long)(b & 0xFFFFFFFFFFFFull));
    int run = i / turns;
    r->turn = i % turns;
    snprintf(r->run, sizeof r->run, "run-%04d", run);
    snprintf(r->session, sizeof r->session, "sess-%03d", run % 50);
    r->payload_len = snprintf(r->payload, sizeof r->payload, "{\"text\":\"%s\",\"n\":%d,\"tokens\":42}", TEXT, i);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(r->created, sizeof r->created, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
}

static void bind_row(sqlite3_stmt *insert, const row *r, int i) {
    sqlite3_bind_text(insert, 1, r->id, 36, SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, r->run, -1, SQLITE_STATIC);
    sqlite3_bind_int(insert, 3, r->turn);
    sqlite3_bind_text(insert, 4, KINDS[i % 4], -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 5, ACTORS[i % 5], -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 6, r->payload, r->payload_len, SQLITE_STATIC);
    sqlite3_bind_text(insert, 7, r->created, 32, SQLITE_STATIC);
    sqlite3_bind_int(insert, 8, 1);
    sqlite3_bind_text(insert, 9, r->session, -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 10, "fast", 4, SQLITE_STATIC);
    sqlite3_bind_text(insert, 11, MODELS[i % 3], -1, SQLITE_STATIC);
}

static void insert_range(sqlite3 *db, sqlite3_stmt *insert, int from, int count, int turns, uint64_t space) {
    row r;
    for (int i = from; i < from + count; i++) {
        make_row(&r, i, turns, space);
        bind_row(insert, &r, i);
        if (sqlite3_step(insert) != SQLITE_DONE) die(db, "insert");
        sqlite3_reset(insert);
    }
}

/* Steps a prepared read to its end, touching every column; returns rows, adds text bytes to *checksum. */
static long touch_all(sqlite3 *db, sqlite3_stmt *select, long long *checksum) {
    long rows = 0;
    int rc;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        *checksum += sqlite3_column_int64(select, 0) + sqlite3_column_int(select, 3) + sqlite3_column_int(select, 8);
        static const int text[] = {1, 2, 4, 5, 6, 7, 9, 10, 11};
        for (int c = 0; c < 9; c++) {
            const unsigned char *value = sqlite3_column_text(select, text[c]);
            *checksum += value ? sqlite3_column_bytes(select, text[c]) : 0;
        }
        rows++;
    }
    if (rc != SQLITE_DONE) die(db, "read");
    sqlite3_reset(select);
    return rows;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *values, int n) {
    qsort(values, n, sizeof *values, compare);
    return values[n / 2];
}

static void report_rate(const char *phase, long n, double seconds, const char *note) {
    printf("{\"system\":\"c\",\"backend\":\"sqlite\",\"phase\":\"%s\",\"n\":%ld,\"seconds\":%.6f,\"rate_per_s\":%.1f,\"note\":\"%s\"}\n",
           phase, n, seconds, n / seconds, note);
}

static void report_median(const char *phase, long n, double us, const char *note) {
    printf("{\"system\":\"c\",\"backend\":\"sqlite\",\"phase\":\"%s\",\"n\":%ld,\"median_us\":%.1f,\"note\":\"%s\"}\n", phase, n, us, note);
}

/* P4 (TRIALS times), P5 and P7 over a store of N events in runs of TURNS, on connection db. */
static void read_phases(sqlite3 *db, int n, int turns, int trials) {
    /* P4: read all in offset order, every column touched. */
    sqlite3_stmt *all, *by_run, *tail;
    if (sqlite3_prepare_v3(db, "SELECT " COLUMNS " FROM events ORDER BY \"offset\"", -1, SQLITE_PREPARE_PERSISTENT, &all, NULL) != SQLITE_OK
        || sqlite3_prepare_v3(db, "SELECT " COLUMNS " FROM events WHERE run_id = ?1 ORDER BY \"offset\"", -1, SQLITE_PREPARE_PERSISTENT, &by_run, NULL) != SQLITE_OK
        || sqlite3_prepare_v3(db, "SELECT " COLUMNS " FROM events WHERE \"offset\" > ?1 ORDER BY \"offset\"", -1, SQLITE_PREPARE_PERSISTENT, &tail, NULL) != SQLITE_OK)
        die(db, "prepare");
    long long checksum = 0;
    double start;
    for (int trial = 0; trial < trials; trial++) {
        start = now_s();
        long rows = touch_all(db, all, &checksum);
        if (rows != n) die(db, "read all: wrong count");
        report_rate("P4", rows, now_s() - start, "libsqlite3 C API, ordered scan, every column touched, no copies");
    }

    /* P5: 1,000 runs at random, each its events in order. */
    int runs = n / turns, lookups = 1000;
    double *times = malloc(sizeof(double) * lookups);
    uint64_t rng = 42;
    for (int k = 0; k < lookups; k++) {
        char run[16];
        snprintf(run, sizeof run, "run-%04d", (int)(splitmix(&rng) % (uint64_t)runs));
        start = now_s();
        sqlite3_bind_text(by_run, 1, run, -1, SQLITE_STATIC);
        if (touch_all(db, by_run, &checksum) != turns) die(db, "run read: wrong count");
        times[k] = (now_s() - start) * 1e6;
    }
    report_median("P5", lookups, median(times, lookups), "libsqlite3 C API, one run's events, every column touched");

    /* P7: the last 1,000 events, 100 times. */
    for (int k = 0; k < 100; k++) {
        start = now_s();
        sqlite3_bind_int64(tail, 1, n - 1000);
        if (touch_all(db, tail, &checksum) != 1000) die(db, "tail: wrong count");
        times[k] = (now_s() - start) * 1e6;
    }
    report_median("P7", 100, median(times, 100), "libsqlite3 C API, offset > latest - 1000, every column touched");
    fprintf(stderr, "checksum %lld\n", checksum);
    free(times);
    sqlite3_finalize(all);
    sqlite3_finalize(by_run);
    sqlite3_finalize(tail);
}

int main(int argc, char **argv) {
    int p1 = argc == 5 && strcmp(argv[1], "p1") == 0, bulk = argc == 6 && strcmp(argv[1], "bulk") == 0;
    int reads = argc >= 5 && strcmp(argv[1], "reads") == 0;
    if (!p1 && !bulk && !reads) {
        fprintf(stderr, "usage: sqlite_limit p1 DIRECTORY SINGLE_APPENDS TRIAL | bulk DIRECTORY N TURNS_PER_RUN TRIALS"
                        " | reads FILE N TURNS_PER_RUN [SQL]\n");
        return 2;
    }

    /* P5 and P7 on a new connection to a store already written (by bulk, or by AgentLedger): SQL, e.g. a pragma, first. */
    if (reads) {
        sqlite3 *db;
        if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) die(db, argv[2]);
        if (argc >= 6) exec(db, argv[5]);
        read_phases(db, atoi(argv[3]), atoi(argv[4]), 0);
        sqlite3_close(db);
        return 0;
    }
    const char *dir = argv[2];
    const char *base = "The fox observes the clearing; the owl disagrees and proposes a new hypothesis "
                       "about the missing lantern, citing clue three and the footprints near the well.";
    memset(TEXT, ' ', 160);
    memcpy(TEXT, base, strlen(base) < 160 ? strlen(base) : 160);
    TEXT[160] = 0;

    /* P1: single appends, each its own (autocommit) transaction, after a warm-up. */
    if (p1) {
        int singles = atoi(argv[3]), trial = atoi(argv[4]);
        char name[32];
        snprintf(name, sizeof name, "c-p1-%d", trial);
        sqlite3 *db = open_store(dir, name);
        sqlite3_stmt *insert;
        if (sqlite3_prepare_v3(db, INSERT, -1, SQLITE_PREPARE_PERSISTENT, &insert, NULL) != SQLITE_OK) die(db, "prepare");
        insert_range(db, insert, 0, 50, 1, 7);
        double start = now_s();
        insert_range(db, insert, 0, singles, 100, 11);
        report_rate("P1", singles, now_s() - start, "libsqlite3 C API, prepared INSERT, autocommit");
        sqlite3_finalize(insert);
        sqlite3_close(db);
        return 0;
    }

    /* P2: every event in one transaction. */
    int n = atoi(argv[3]), turns = atoi(argv[4]), trials = atoi(argv[5]);
    sqlite3 *db = open_store(dir, "c-main");
    sqlite3_stmt *insert;
    if (sqlite3_prepare_v3(db, INSERT, -1, SQLITE_PREPARE_PERSISTENT, &insert, NULL) != SQLITE_OK) die(db, "prepare");
    double start = now_s();
    exec(db, "BEGIN");
    insert_range(db, insert, 0, n, turns, 13);
    exec(db, "COMMIT");
    report_rate("P2", n, now_s() - start, "libsqlite3 C API, one transaction, prepared INSERT");
    sqlite3_finalize(insert);

    read_phases(db, n, turns, trials);
    sqlite3_close(db);
    return 0;
}
