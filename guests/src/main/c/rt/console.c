/* Serial console, printf-lite, the exit protocol and string helpers. */
#include "rt.h"

/* 16550 register offsets from the base port. */
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THR_EMPTY 0x20

/* Called once at CPL0: 115200 8N1, FIFOs on, no interrupts. */
void serial_init(void) {
    outb(PORT_COM1 + UART_IER, 0x00);
    outb(PORT_COM1 + UART_LCR, 0x80); /* DLAB on to set the divisor */
    outb(PORT_COM1 + 0, 0x01);        /* 115200 baud */
    outb(PORT_COM1 + 1, 0x00);
    outb(PORT_COM1 + UART_LCR, 0x03); /* 8N1, DLAB off */
    outb(PORT_COM1 + UART_FCR, 0x07);
    outb(PORT_COM1 + UART_MCR, 0x03); /* DTR, RTS */
}

void putc_serial(char c) {
    /* Bounded wait: a UART that never reports "THR empty" must not hang
     * the guest forever; losing a character is the lesser evil. */
    for (int i = 0; i < 100000 && !(inb(PORT_COM1 + UART_LSR) & LSR_THR_EMPTY); i++)
        cpu_relax();
    outb(PORT_COM1 + UART_THR, (uint8_t)c);
}

void puts_serial(const char *s) {
    while (*s)
        putc_serial(*s++);
}

uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem) {
    /* Schoolbook division in two 32-bit steps; divl never overflows
     * because the high remainder is always < d. */
    uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n;
    uint32_t qhi = hi / d, r = hi % d, qlo;
    __asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
    if (rem)
        *rem = r;
    return ((uint64_t)qhi << 32) | qlo;
}

static void put_number(uint64_t v, unsigned base, bool negative, int width, char pad) {
    char buf[24];
    int n = 0;
    do {
        uint32_t digit;
        v = udiv64(v, base, &digit);
        buf[n++] = "0123456789abcdef"[digit];
    } while (v);
    if (negative)
        buf[n++] = '-';
    for (int i = n; i < width; i++)
        putc_serial(pad);
    while (n)
        putc_serial(buf[--n]);
}

/* Supports %s %c %d %i %u %x %p %%, a '0' flag, a width and the
 * 'l'/'ll' length modifiers ('ll' = 64-bit). */
void vprintf(const char *fmt, va_list ap) {
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putc_serial(*fmt);
            continue;
        }
        char pad = ' ';
        int width = 0, longs = 0;
        if (*++fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l')
            longs++, fmt++;
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            puts_serial(s ? s : "(null)");
            break;
        }
        case 'c':
            putc_serial((char)va_arg(ap, int));
            break;
        case 'd':
        case 'i': {
            int64_t v = longs >= 2 ? va_arg(ap, int64_t) : va_arg(ap, int32_t);
            put_number(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, pad);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = longs >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
            put_number(v, *fmt == 'u' ? 10 : 16, false, width, pad);
            break;
        }
        case 'p':
            puts_serial("0x");
            put_number((uintptr_t)va_arg(ap, void *), 16, false, 8, '0');
            break;
        case '%':
            putc_serial('%');
            break;
        case '\0':
            return;
        default:
            putc_serial('%');
            putc_serial(*fmt);
        }
    }
}

void printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

_Noreturn void exit_guest(uint32_t value) {
    /* isa-debug-exit: the host exits with status (value << 1) | 1. */
    outl(PORT_DEBUG_EXIT, value);
    /* Still here: no exit device. HLT only where it is allowed. */
    for (;;) {
        if (current_cpl() == 0)
            __asm__ volatile("cli; hlt");
        else
            cpu_relax();
    }
}

_Noreturn void pass(void) {
    puts_serial("RESULT: PASS\n");
    exit_guest(EXIT_PASS);
}

static _Noreturn void vfail(uint32_t value, const char *fmt, va_list ap) {
    puts_serial("RESULT: FAIL ");
    vprintf(fmt, ap);
    putc_serial('\n');
    exit_guest(value);
}

_Noreturn void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(EXIT_FAIL, fmt, ap);
}

_Noreturn void fail_code(uint32_t value, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(value, fmt, ap);
}

/* gcc may emit calls to these four even in freestanding code. */
void *memcpy(void *d, const void *s, size_t n) {
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, size_t n) {
    uint8_t *dp = d;
    while (n--)
        *dp++ = (uint8_t)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

const struct mb_info *boot_info;

const char *cmdline(void) {
    if (boot_info && (boot_info->flags & MB_INFO_CMDLINE) && boot_info->cmdline)
        return (const char *)(uintptr_t)boot_info->cmdline;
    return "";
}

uint64_t cmdline_u64(const char *key, uint64_t dflt) {
    size_t klen = strlen(key);
    const char *p = cmdline();
    /* Tokens are space-separated; QEMU puts the kernel path first. */
    while (*p) {
        while (*p == ' ')
            p++;
        if (memcmp(p, key, klen) == 0 && p[klen] == '=') {
            p += klen + 1;
            unsigned base = 10;
            if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
                base = 16, p += 2;
            uint64_t v = 0;
            bool any = false;
            for (;; p++, any = true) {
                unsigned d;
                if (*p >= '0' && *p <= '9')
                    d = *p - '0';
                else if (base == 16 && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
                    d = (*p | 0x20) - 'a' + 10;
                else
                    break;
                v = v * base + d;
            }
            return any ? v : dflt;
        }
        while (*p && *p != ' ')
            p++;
    }
    return dflt;
}
