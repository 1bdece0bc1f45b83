/* The resolver's common case in one pass over a column's bytes (see wacost.numbers.plain).

A number written as 4 to 19 ASCII digits (spaces or dashes among them allowed), after at most
one '+', not starting with 0, whose first seven digits already have their entry in the
seven-digit table (wacost.numbers.sevens),
and whose entry decides it (the calling code's automaton accepts or refuses every national
number of its length): its E.164 value, billing country and validity are read here, exactly as
the numpy path reads them. Every other row is left for that path (state PLAIN_UNDECIDED).
Numbers written without '+' are decided here only when no rule reads national numbers.

Built into wacost when a C compiler is present (hatch_build.py); without it, the numpy path
reads every row. The loop holds no Python object: it runs without the GIL. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "eight bytes at a time, read as a little-endian word: not built here (numpy path)"
#endif

enum { PLAIN_UNDECIDED = 0, PLAIN_INVALID = 1, PLAIN_VALID = 2 };

/* The packed entry's layout: wacost/numbers/sevens.py (checked by the tests). */
#define NONE_SHIFT 19
#define LENGTH_SHIFT 38
#define LENGTH_MASK 0x1F
#define REGEX_SHIFT 43
#define COUNTRY_SHIFT 44
#define COUNTRY_MASK 0xFFF
#define TABLE_SIZE 10000000
#define MAX_DIGITS 19

static const uint64_t POW10[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
    100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL};

static int get(PyObject *obj, Py_buffer *view, int writable, Py_ssize_t need, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->len < need) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, at least %zd needed", name, view->len, need);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Eight ASCII digits (the first at the lowest byte, as loaded from memory on a little-endian
   machine) -> their value, in a few multiplications (the SWAR method of simdjson and
   fast_float); 0 in *ok unless every byte is a digit. */
static inline uint64_t eight_digits(uint64_t chunk, int *ok) {
    /* each byte 0x30..0x3F, and adding 6 leaves it below 0x40: '0'..'9' */
    *ok &= ((chunk & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL) &&
           (((chunk + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL);
    chunk -= 0x3030303030303030ULL;
    chunk = (chunk * 10) + (chunk >> 8);
    chunk = (((chunk & 0x000000FF000000FFULL) * 0x000F424000000064ULL) +
             (((chunk >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >> 32;
    return chunk;
}

static inline uint64_t load8(const uint8_t *at) {
    uint64_t chunk;
    memcpy(&chunk, at, 8);
    return chunk;
}

/* The value of `length` (4..19) bytes at s if all are ASCII digits, and of their first seven
   (a shorter number padded with zeros); `before`: how many bytes of the buffer lie before s.
   Eight digits at a time; the last 1 to 8 are read from the eight bytes ending the number,
   those before them written as '0'. Reads no byte outside the number but for those before
   it, and only where there are `before` of them. */
static inline int digits_value(const uint8_t *s, int length, Py_ssize_t before, uint64_t *value,
                               uint64_t *first7) {
    int ok = 1;
    uint64_t total = 0, head = 0;
    int at = 0;
    if (length < 8 && before < 8 - length) { /* too near the buffer's start: a byte at a time */
        for (; at < length; at++) {
            unsigned digit = (unsigned)s[at] - '0';
            if (digit > 9) return 0;
            total = total * 10 + digit;
        }
        *value = total;
        *first7 = length >= 7 ? total / POW10[length - 7] : total * POW10[7 - length];
        return 1;
    }
    while (length - at > 8) {
        uint64_t eight = eight_digits(load8(s + at), &ok);
        if (at == 0) head = eight;
        total = total * 100000000ULL + eight;
        at += 8;
    }
    int rest = length - at, pad = 8 - rest;
    uint64_t chunk = load8(s + length - 8);
    if (pad) {
        uint64_t low = (1ULL << (8 * pad)) - 1;
        chunk = (chunk & ~low) | (0x3030303030303030ULL & low);
    }
    uint64_t last = eight_digits(chunk, &ok);
    if (!ok) return 0;
    total = total * POW10[rest] + last;
    *value = total;
    if (length > 8)
        *first7 = head / 10;
    else
        *first7 = length >= 7 ? total / POW10[length - 7] : total * POW10[7 - length];
    return 1;
}

/* Digits with single characters ' ' or '-' among them ("+91 98765-43210"), the first and the
   last a digit: their value, how many digits, and the first seven (as digits_value). The
   numpy path reads such a number as its digits alone, with nothing else to clean. */
static inline int separated_value(const uint8_t *s, int length, uint64_t *value, int *digits,
                                  uint64_t *first7) {
    if ((unsigned)s[0] - '0' > 9 || (unsigned)s[length - 1] - '0' > 9) return 0;
    uint64_t total = 0, head = 0;
    int count = 0;
    for (int k = 0; k < length; k++) {
        unsigned digit = (unsigned)s[k] - '0';
        if (digit <= 9) {
            if (++count > MAX_DIGITS) return 0;
            total = total * 10 + digit;
            if (count == 7) head = total;
        } else if (s[k] != ' ' && s[k] != '-') {
            return 0;
        }
    }
    *value = total;
    *digits = count;
    *first7 = count >= 7 ? head : total * POW10[7 - count];
    return 1;
}

static Py_ssize_t resolve_rows(Py_ssize_t n, const int32_t *offsets, const uint8_t *data,
                               Py_ssize_t data_len, const int64_t *table, int national,
                               int64_t *numbers, int16_t *country, uint8_t *state) {
    Py_ssize_t undecided = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t start = offsets[i], end = offsets[i + 1];
        numbers[i] = 0;
        country[i] = 0;
        state[i] = PLAIN_UNDECIDED;
        if (start < 0 || end < start || end > data_len) {
            undecided++;
            continue;
        }
        const uint8_t *s = data + start;
        int length = (int)(end - start);
        int plus = length > 0 && s[0] == '+';
        s += plus;
        length -= plus;
        if (length < 4 || s[0] == '0' || (!plus && !national)) {
            undecided++;
            continue;
        }
        uint64_t value, first7;
        int digits = length;
        if (!(length <= MAX_DIGITS && digits_value(s, length, s - data, &value, &first7)) &&
            !separated_value(s, length, &value, &digits, &first7)) {
            undecided++;
            continue;
        }
        if (digits < 4) {
            undecided++;
            continue;
        }
        length = digits;
        if (first7 >= TABLE_SIZE) { /* cannot be: the first digit is not 0 */
            undecided++;
            continue;
        }
        int64_t entry = table[first7];
        if (entry == 0) { /* not worked out yet: the numpy path fills it in */
            undecided++;
            continue;
        }
        int national_digits = length - (int)((entry >> LENGTH_SHIFT) & LENGTH_MASK);
        if (national_digits < 0) { /* shorter than its calling code, or no code */
            state[i] = PLAIN_INVALID;
            continue;
        }
        if (national_digits < 4 || ((entry >> REGEX_SHIFT) & 1)) {
            undecided++;
            continue;
        }
        int64_t remaining = entry >> (national_digits - 4);
        int accepted = (int)(remaining & 1);
        if (!accepted && !((remaining >> NONE_SHIFT) & 1)) { /* the automaton must walk */
            undecided++;
            continue;
        }
        int16_t code = (int16_t)((entry >> COUNTRY_SHIFT) & COUNTRY_MASK);
        if (accepted && value <= (uint64_t)INT64_MAX && code > 0) {
            numbers[i] = (int64_t)value;
            country[i] = code;
            state[i] = PLAIN_VALID;
        } else {
            state[i] = PLAIN_INVALID;
        }
    }
    return undecided;
}

PyDoc_STRVAR(resolve_doc,
             "resolve(n, offsets, data, table, national, numbers, country, state) -> undecided\n\n"
             "n rows; offsets: int32[n + 1] and data: uint8 (a string column's buffers); table: the\n"
             "general plan's seven-digit table, int64[10**7]; national: whether numbers written\n"
             "without '+' may be decided; numbers (int64[n]), country (int16[n]) and state\n"
             "(uint8[n]: 0 undecided, 1 invalid, 2 valid) are written. Returns how many rows\n"
             "are left undecided.");

static PyObject *resolve(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[7];
    Py_ssize_t n;
    int national;
    if (!PyArg_ParseTuple(args, "nOOOpOOO", &n, &objects[0], &objects[1], &objects[2],
                          &national, &objects[4], &objects[5], &objects[6]))
        return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "n: a count of rows, 0 or more");
        return NULL;
    }
    Py_buffer offsets, data, table, numbers, country, state;
    if (get(objects[0], &offsets, 0, (n + 1) * (Py_ssize_t)sizeof(int32_t), "offsets") < 0)
        return NULL;
    Py_ssize_t undecided = -1;
    if (get(objects[1], &data, 0, 0, "data") < 0) goto free_offsets;
    if (get(objects[2], &table, 0, TABLE_SIZE * (Py_ssize_t)sizeof(int64_t), "table") < 0)
        goto free_data;
    if (get(objects[4], &numbers, 1, n * (Py_ssize_t)sizeof(int64_t), "numbers") < 0)
        goto free_table;
    if (get(objects[5], &country, 1, n * (Py_ssize_t)sizeof(int16_t), "country") < 0)
        goto free_numbers;
    if (get(objects[6], &state, 1, n, "state") < 0) goto free_country;
    Py_BEGIN_ALLOW_THREADS;
    undecided = resolve_rows(n, offsets.buf, data.buf, data.len, table.buf, national,
                             numbers.buf, country.buf, state.buf);
    Py_END_ALLOW_THREADS;
    PyBuffer_Release(&state);
free_country:
    PyBuffer_Release(&country);
free_numbers:
    PyBuffer_Release(&numbers);
free_table:
    PyBuffer_Release(&table);
free_data:
    PyBuffer_Release(&data);
free_offsets:
    PyBuffer_Release(&offsets);
    if (undecided < 0) return NULL;
    return PyLong_FromSsize_t(undecided);
}

/* --- plain CSV: a range of whole lines with no quote character and no carriage return ----- */

/* The first byte at or after p that is `delimiter` or a newline (len where none): eight bytes
   at a time, a byte equal to either found by the zero-byte test of their XORs (its lowest hit
   is exact; any above it may not be, and is not used). With `copy`, the bytes before it are
   copied there, eight at a time: up to 8 bytes past them are written too (the caller leaves
   room). */
static inline Py_ssize_t next_stop(const uint8_t *data, Py_ssize_t p, Py_ssize_t len,
                                   uint64_t delimiters, uint8_t delimiter, uint8_t *copy) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const uint64_t newlines = ones * '\n';
    for (; p + 8 <= len; p += 8) {
        uint64_t word;
        memcpy(&word, data + p, 8);
        if (copy) {
            memcpy(copy, &word, 8);
            copy += 8;
        }
        uint64_t x = word ^ delimiters, y = word ^ newlines;
        uint64_t hits = (((x - ones) & ~x) | ((y - ones) & ~y)) & highs;
        if (hits) return p + (__builtin_ctzll(hits) >> 3);
    }
    for (; p < len && data[p] != delimiter && data[p] != '\n'; p++)
        if (copy) *copy++ = data[p];
    return p;
}

/* Split the lines of data[0:len) (each ending in '\n' but perhaps the last) into `ncols`
   fields at `delimiter`, copying the fields of the wanted columns (slot_of[column] >= 0) into
   their slot's values, back to back, with their offsets: the buffers of an Arrow binary
   column. A slot's values are the bytes of disjoint fields of data, so they fit in len bytes;
   each slot has capacity + 8 bytes (capacity >= len), as fields are copied eight bytes at a
   time. Returns the number of rows, or -1 where pyarrow's reader (quote_char=False,
   ignore_empty_lines) would not read it so: an empty line (which it skips), a line of another
   number of fields (an error it names), a line longer than max_line (one longer than its block
   is an error), more than max_rows lines. */
static Py_ssize_t split_lines(const uint8_t *data, Py_ssize_t len, Py_ssize_t ncols,
                              uint8_t delimiter, const int32_t *slot_of, Py_ssize_t slots,
                              Py_ssize_t max_rows, Py_ssize_t max_line, int32_t *offsets,
                              uint8_t *values, Py_ssize_t capacity) {
    const uint64_t delimiters = 0x0101010101010101ULL * delimiter;
    Py_ssize_t rows = 0, pos = 0;
    for (Py_ssize_t k = 0; k < slots; k++) offsets[k * (max_rows + 1)] = 0;
    while (pos < len) {
        if (data[pos] == '\n' || rows == max_rows) return -1; /* an empty line */
        Py_ssize_t field = 0, start = pos, stop;
        for (;;) {
            if (field >= ncols) return -1;
            int32_t slot = slot_of[field];
            if (slot >= 0) {
                int32_t *column = offsets + slot * (max_rows + 1);
                Py_ssize_t used = column[rows];
                stop = next_stop(data, start, len, delimiters, delimiter,
                                 values + slot * (capacity + 8) + used);
                column[rows + 1] = (int32_t)(used + (stop - start));
            } else {
                stop = next_stop(data, start, len, delimiters, delimiter, NULL);
            }
            field++;
            if (stop >= len || data[stop] == '\n') break;
            start = stop + 1;
        }
        if (field != ncols || stop - pos > max_line) return -1;
        rows++;
        pos = stop + 1;
    }
    return rows;
}

PyDoc_STRVAR(split_doc,
             "split(data, ncols, delimiter, slot_of, max_rows, max_line, offsets, values,\n"
             "capacity) -> rows\n\n"
             "data: whole lines, no quote, no carriage return; slot_of: int32[ncols], each\n"
             "column's slot (-1: not wanted); offsets: int32[slots, max_rows + 1] and values:\n"
             "uint8[slots, capacity + 8] (capacity >= len(data)) are written. Returns the rows, or -1: read it with pyarrow.");

static PyObject *split(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[4];
    Py_ssize_t ncols, max_rows, max_line, capacity;
    int delimiter;
    if (!PyArg_ParseTuple(args, "OniOnnOOn", &objects[0], &ncols, &delimiter, &objects[1],
                          &max_rows, &max_line, &objects[2], &objects[3], &capacity))
        return NULL;
    /* (sizes below computed without overflow: the buffers' checks hold) */
    const Py_ssize_t most = PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(int32_t);
    if (ncols < 1 || ncols > most || max_rows < 0 || max_rows >= most || capacity < 0 ||
        capacity > INT32_MAX || delimiter < 0 || delimiter > 255) {
        PyErr_SetString(PyExc_ValueError, "ncols, max_rows, capacity or delimiter out of range");
        return NULL;
    }
    Py_buffer data, slot_of, offsets, values;
    Py_ssize_t rows = -2;
    if (get(objects[0], &data, 0, 0, "data") < 0) return NULL;
    if (get(objects[1], &slot_of, 0, ncols * (Py_ssize_t)sizeof(int32_t), "slot_of") < 0)
        goto free_data;
    Py_ssize_t slots = 0;
    for (Py_ssize_t c = 0; c < ncols; c++) {
        int32_t slot = ((const int32_t *)slot_of.buf)[c];
        if (slot >= slots) slots = slot + 1;
    }
    if (slots > 1 && max_rows + 1 > most / slots) { /* (slots * (capacity + 8) cannot overflow) */
        PyErr_SetString(PyExc_ValueError, "max_rows out of range for the slots");
        goto free_slots;
    }
    if (get(objects[2], &offsets, 1, slots * (max_rows + 1) * (Py_ssize_t)sizeof(int32_t),
            "offsets") < 0)
        goto free_slots;
    if (capacity < data.len) {
        PyErr_SetString(PyExc_ValueError, "capacity: at least the data's length");
        goto free_offsets;
    }
    if (get(objects[3], &values, 1, slots * (capacity + 8), "values") < 0) goto free_offsets;
    Py_BEGIN_ALLOW_THREADS;
    rows = split_lines(data.buf, data.len, ncols, (uint8_t)delimiter, slot_of.buf, slots,
                       max_rows, max_line, offsets.buf, values.buf, capacity);
    Py_END_ALLOW_THREADS;
    PyBuffer_Release(&values);
free_offsets:
    PyBuffer_Release(&offsets);
free_slots:
    PyBuffer_Release(&slot_of);
free_data:
    PyBuffer_Release(&data);
    if (rows == -2) return NULL;
    return PyLong_FromSsize_t(rows);
}

static PyMethodDef methods[] = {
    {"resolve", resolve, METH_VARARGS, resolve_doc},
    {"split", split, METH_VARARGS, split_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_plain",
    .m_doc = "Plain numbers and plain CSV lines, read in C (see wacost.numbers.plain).",
    .m_size = -1,
    .m_methods = methods,
};

/* The seven-digit table's layout this source reads (wacost.numbers.plain compares it with
   wacost.numbers.sevens', and does not use an extension built from another: an editable
   install's, compiled once in place, is not rebuilt when _plain.c changes). */
static const struct {
    const char *name;
    long value;
} LAYOUT[] = {
    {"NONE_SHIFT", NONE_SHIFT},     {"LENGTH_SHIFT", LENGTH_SHIFT},   {"LENGTH_MASK", LENGTH_MASK},
    {"REGEX_SHIFT", REGEX_SHIFT},   {"COUNTRY_SHIFT", COUNTRY_SHIFT}, {"COUNTRY_MASK", COUNTRY_MASK},
    {"TABLE_SIZE", TABLE_SIZE},
};

PyMODINIT_FUNC PyInit__plain(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    for (size_t k = 0; k < sizeof LAYOUT / sizeof LAYOUT[0]; k++) {
        if (PyModule_AddIntConstant(m, LAYOUT[k].name, LAYOUT[k].value) < 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    return m;
}
