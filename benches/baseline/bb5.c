/* The plain C table loop that `arsim run` is measured against (BENCHMARKS.md, Interpreter).
 *
 * A machine in bbchallenge standard text (argv[1], default BB(5)), a fixed tape of 2^16 cells
 * with the head in the middle, a (write, move, next) table, no growth and no visited-range
 * tracking. Prints the steps and the number of non-blank cells.
 *
 *   cc -O2 -o /tmp/bb5 benches/baseline/bb5.c && /tmp/bb5
 *   47176870 steps, 4098 ones
 */
#include <stdio.h>
#include <string.h>

enum { TAPE = 1 << 16, MAX_STATES = 64, HALT = -1, NONE = -2 };

struct op { unsigned char write; signed char move; int next; };

int main(int argc, char **argv) {
    const char *spec = argc > 1 ? argv[1] : "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA";
    static struct op table[MAX_STATES][2];
    static unsigned char tape[TAPE];
    int states = 0;
    for (const char *p = spec; *p && states < MAX_STATES; states++) {
        for (int s = 0; s < 2; s++, p += 3) {
            if (p[0] == '-' || !p[0]) { table[states][s].next = NONE; continue; }
            table[states][s].write = (unsigned char)(p[0] - '0');
            table[states][s].move = p[1] == 'R' ? 1 : -1;
            int q = p[2] - 'A';
            table[states][s].next = q < 0 || q >= (int)((strlen(spec) + 1) / 7) ? HALT : q;
        }
        if (*p == '_') p++;
    }
    long pos = TAPE / 2;
    int state = 0;
    unsigned long steps = 0;
    for (;;) {
        struct op o = table[state][tape[pos]];
        if (o.next == NONE) break;
        tape[pos] = o.write;
        pos += o.move;
        steps++;
        if (o.next == HALT) break;
        state = o.next;
    }
    unsigned long ones = 0;
    for (long i = 0; i < TAPE; i++) ones += tape[i] != 0;
    printf("%lu steps, %lu ones\n", steps, ones);
    return 0;
}
