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
#include <stdlib.h>
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

/* The first byte at or after p that is a newline, `first` or `second` (len where none): eight
   bytes at a time, a byte equal to any found by the zero-byte test of their XORs (its lowest hit
   is exact; any above it may not be, and is not used). With `copy`, the bytes before it are
   copied there, eight at a time: up to 8 bytes past them are written too (the caller leaves
   room). */
static inline __attribute__((always_inline)) Py_ssize_t stop_at(
    const uint8_t *data, Py_ssize_t p, Py_ssize_t len, uint8_t first, uint8_t second,
    uint8_t *copy, const int two) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const uint64_t newlines = ones * '\n', firsts = ones * first, seconds = ones * second;
    for (; p + 8 <= len; p += 8) {
        uint64_t word;
        memcpy(&word, data + p, 8);
        if (copy) {
            memcpy(copy, &word, 8);
            copy += 8;
        }
        uint64_t x = word ^ firsts, y = word ^ newlines;
        uint64_t hits = ((x - ones) & ~x) | ((y - ones) & ~y);
        if (two) {
            uint64_t z = word ^ seconds;
            hits |= (z - ones) & ~z;
        }
        hits &= highs;
        if (hits) return p + (__builtin_ctzll(hits) >> 3);
    }
    for (; p < len && data[p] != first && (!two || data[p] != second) && data[p] != '\n'; p++)
        if (copy) *copy++ = data[p];
    return p;
}

/* (the same, with `second` looked for only in data that holds a quote: one test less a word) */
static inline Py_ssize_t next_stop(const uint8_t *data, Py_ssize_t p, Py_ssize_t len,
                                   uint8_t first, uint8_t second, uint8_t *copy, int two) {
    return two ? stop_at(data, p, len, first, second, copy, 1)
               : stop_at(data, p, len, first, second, copy, 0);
}

/* Split the lines of data[0:len) (each ending in '\n' but perhaps the last) into `ncols`
   fields at `delimiter`, copying the fields of the wanted columns (slot_of[column] >= 0) into
   their slot's values, back to back, with their offsets: the buffers of an Arrow binary
   column. A slot's values are the bytes of disjoint fields of data, so they fit in len bytes;
   each slot has capacity + 8 bytes (capacity >= len), as fields are copied eight bytes at a
   time. A field that starts with a quote ends at the next quote (the value is what lies
   between); any other quote in a line leaves the data to pyarrow, whose reader gives the same
   values with quoting on (data with a quote) or off (data with none). Returns the number of
   rows, or -1 where pyarrow's reader (ignore_empty_lines) would not read it so: an empty line
   (which it skips), a line of another number of fields (an error it names), a line longer than
   max_line (one longer than its block is an error), more than max_rows lines, a quote written
   twice or not closed on its line. */
static inline __attribute__((always_inline)) Py_ssize_t split_rows(
    const uint8_t *data, Py_ssize_t len, Py_ssize_t ncols, uint8_t delimiter,
    const int32_t *slot_of, Py_ssize_t slots, Py_ssize_t max_rows, Py_ssize_t max_line,
    int32_t *offsets, uint8_t *values, Py_ssize_t capacity, const int quoting) {
    Py_ssize_t rows = 0, pos = 0;
    for (Py_ssize_t k = 0; k < slots; k++) offsets[k * (max_rows + 1)] = 0;
    while (pos < len) {
        if (data[pos] == '\n' || rows == max_rows) return -1; /* an empty line */
        Py_ssize_t field = 0, start = pos, stop;
        for (;;) {
            if (field >= ncols) return -1;
            int32_t slot = slot_of[field];
            int32_t *column = slot >= 0 ? offsets + slot * (max_rows + 1) : NULL;
            uint8_t *copy = slot >= 0 ? values + slot * (capacity + 8) + column[rows] : NULL;
            Py_ssize_t size;
            if (quoting && start < len && data[start] == '"') {
                /* quoted: its bytes up to the next quote, which ends the field (a quote
                   written twice, a line break or no closing quote: left to pyarrow) */
                Py_ssize_t close = next_stop(data, start + 1, len, '"', '"', copy, 0);
                if (close >= len || data[close] != '"') return -1;
                size = close - start - 1;
                stop = close + 1;
                if (stop < len && data[stop] != delimiter && data[stop] != '\n') return -1;
            } else {
                stop = next_stop(data, start, len, delimiter, '"', copy, quoting);
                if (quoting && stop < len && data[stop] == '"') return -1; /* a quote inside */
                size = stop - start;
            }
            if (column) column[rows + 1] = (int32_t)(column[rows] + size);
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

/* split_rows for data with a quote, and without one (no field quoted: none looked for) */
static Py_ssize_t split_lines(const uint8_t *data, Py_ssize_t len, Py_ssize_t ncols,
                              uint8_t delimiter, const int32_t *slot_of, Py_ssize_t slots,
                              Py_ssize_t max_rows, Py_ssize_t max_line, int32_t *offsets,
                              uint8_t *values, Py_ssize_t capacity) {
    if (len > 0 && memchr(data, '"', (size_t)len) != NULL)
        return split_rows(data, len, ncols, delimiter, slot_of, slots, max_rows, max_line,
                          offsets, values, capacity, 1);
    return split_rows(data, len, ncols, delimiter, slot_of, slots, max_rows, max_line, offsets,
                      values, capacity, 0);
}

PyDoc_STRVAR(split_doc,
             "split(data, ncols, delimiter, slot_of, max_rows, max_line, offsets, values,\n"
             "capacity) -> rows\n\n"
             "data: whole lines, no carriage return, a field quoted whole or not at all;\n"
             "slot_of: int32[ncols], each\n"
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

/* --- a batch's valid recipients grouped by ledger partition (wacost.counting.ledger) -------- */

#define FIBONACCI 0x9E3779B97F4A7C15ULL
#define MAX_PARTITION_BITS 16

PyDoc_STRVAR(group_doc,
             "group(valid, numbers, bits, rows, grouped, bounds) -> count\n\n"
             "valid: bool[n]; numbers: int64[n]; the rows where valid, grouped by partition\n"
             "(the top `bits` of number * 0x9E3779B97F4A7C15), in reading order within each:\n"
             "rows (intp[n]) and grouped (int64[n]) hold them, bounds (intp[2**bits + 1]) where\n"
             "each partition starts. Returns how many rows are valid.");

static PyObject *group(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[5];
    int bits;
    if (!PyArg_ParseTuple(args, "OOiOOO", &objects[0], &objects[1], &bits, &objects[2],
                          &objects[3], &objects[4]))
        return NULL;
    if (bits < 0 || bits > MAX_PARTITION_BITS) {
        PyErr_SetString(PyExc_ValueError, "bits: 0 to 16");
        return NULL;
    }
    Py_buffer valid, numbers, rows, grouped, bounds;
    Py_ssize_t count = -1;
    if (get(objects[0], &valid, 0, 0, "valid") < 0) return NULL;
    Py_ssize_t n = valid.len;
    Py_ssize_t partitions = (Py_ssize_t)1 << bits;
    if (get(objects[1], &numbers, 0, n * (Py_ssize_t)sizeof(int64_t), "numbers") < 0)
        goto free_valid;
    if (get(objects[2], &rows, 1, n * (Py_ssize_t)sizeof(Py_ssize_t), "rows") < 0)
        goto free_numbers;
    if (get(objects[3], &grouped, 1, n * (Py_ssize_t)sizeof(int64_t), "grouped") < 0)
        goto free_rows;
    if (get(objects[4], &bounds, 1, (partitions + 1) * (Py_ssize_t)sizeof(Py_ssize_t),
            "bounds") < 0)
        goto free_grouped;
    Py_BEGIN_ALLOW_THREADS;
    const uint8_t *ok = valid.buf;
    const uint64_t *number = numbers.buf;
    Py_ssize_t *start = bounds.buf, *row = rows.buf;
    int64_t *out = grouped.buf;
    int shift = 64 - bits;
    for (Py_ssize_t p = 0; p <= partitions; p++) start[p] = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (ok[i]) start[(bits ? (number[i] * FIBONACCI) >> shift : 0) + 1]++;
    for (Py_ssize_t p = 0; p < partitions; p++) start[p + 1] += start[p];
    count = start[partitions];
    /* each partition's next place: start[p], moved on as it fills (then restored) */
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!ok[i]) continue;
        Py_ssize_t p = bits ? (Py_ssize_t)((number[i] * FIBONACCI) >> shift) : 0;
        Py_ssize_t at = start[p]++;
        row[at] = i;
        out[at] = (int64_t)number[i];
    }
    for (Py_ssize_t p = partitions; p > 0; p--) start[p] = start[p - 1];
    start[0] = 0;
    Py_END_ALLOW_THREADS;
    PyBuffer_Release(&bounds);
free_grouped:
    PyBuffer_Release(&grouped);
free_rows:
    PyBuffer_Release(&rows);
free_numbers:
    PyBuffer_Release(&numbers);
free_valid:
    PyBuffer_Release(&valid);
    if (count < 0) return NULL;
    return PyLong_FromSsize_t(count);
}


/* --- duplicates among a ledger partition's records (wacost.counting.ledger) ---------------- */

PyDoc_STRVAR(duplicates_doc,
             "duplicates(records, width, key_template, radix) -> (count, high, low, first)\n\n"
             "records: int64[n, width] (number, key, ordinal[, messages]) in reading order;\n"
             "a record repeats an earlier one when number * radix + key_template[key] is the\n"
             "same. Returns how many repeat, the high and low 32 bits of their messages summed\n"
             "apart (the sum is high * 2**32 + low), and their smallest ordinal (-1: none).\n"
             "The caller checks that number * radix + radix < 2**63.");

static PyObject *duplicates(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[2];
    Py_ssize_t width;
    long long radix;
    if (!PyArg_ParseTuple(args, "OnOL", &objects[0], &width, &objects[1], &radix)) return NULL;
    if (width < 3 || width > 4 || radix < 1) {
        PyErr_SetString(PyExc_ValueError, "width: 3 or 4; radix: 1 or more");
        return NULL;
    }
    Py_buffer records, templates;
    if (get(objects[0], &records, 0, 0, "records") < 0) return NULL;
    if (get(objects[1], &templates, 0, 0, "key_template") < 0) {
        PyBuffer_Release(&records);
        return NULL;
    }
    Py_ssize_t n = records.len / (Py_ssize_t)(width * sizeof(int64_t));
    Py_ssize_t keys = templates.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t size = 16;
    while (size < 2 * n) size <<= 1;
    int bits = 0;
    while (((Py_ssize_t)1 << bits) < size) bits++;
    uint64_t *table = malloc((size_t)size * sizeof(uint64_t));
    Py_ssize_t count = 0, bad = 0;
    uint64_t high = 0, low = 0;
    int64_t first = -1;
    if (table != NULL) {
        Py_BEGIN_ALLOW_THREADS;
        const int64_t *record = records.buf, *template = templates.buf;
        memset(table, 0xFF, (size_t)size * sizeof(uint64_t)); /* empty: all ones */
        for (Py_ssize_t i = 0; i < n; i++, record += width) {
            int64_t key = record[1];
            if (key < 0 || key >= keys || record[0] < 0) {
                bad = 1;
                break;
            }
            uint64_t code = (uint64_t)record[0] * (uint64_t)radix + (uint64_t)template[key];
            uint64_t mixed = (code ^ (code >> 31)) * FIBONACCI;
            Py_ssize_t slot = (Py_ssize_t)(mixed >> (64 - bits));
            while (table[slot] != UINT64_MAX && table[slot] != code) slot = (slot + 1) & (size - 1);
            if (table[slot] == UINT64_MAX) {
                table[slot] = code;
                continue;
            }
            uint64_t messages = width > 3 ? (uint64_t)record[3] : 1;
            count++;
            high += messages >> 32;
            low += messages & 0xFFFFFFFFULL;
            if (first < 0 || record[2] < first) first = record[2];
        }
        Py_END_ALLOW_THREADS;
        free(table);
    }
    PyBuffer_Release(&templates);
    PyBuffer_Release(&records);
    if (table == NULL) return PyErr_NoMemory();
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "a record's key is not in key_template");
        return NULL;
    }
    return Py_BuildValue("nKKL", count, (unsigned long long)high, (unsigned long long)low,
                         (long long)first);
}


/* --- a batch's ledger records (wacost.counting.ledger) ------------------------------------- */

PyDoc_STRVAR(records_doc,
             "records(numbers, labels, global_ids, rows, base, out)\n\n"
             "out: int64[n, 3], row i = (numbers[i], global_ids[labels[i]], base + rows[i]);\n"
             "numbers int64[n], labels int32[n], global_ids int64[k], rows intp[n].");

static PyObject *records(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[5];
    long long base;
    if (!PyArg_ParseTuple(args, "OOOOLO", &objects[0], &objects[1], &objects[2], &objects[3],
                          &base, &objects[4]))
        return NULL;
    Py_buffer numbers, labels, ids, rows, out;
    int ok = 0;
    if (get(objects[0], &numbers, 0, 0, "numbers") < 0) return NULL;
    Py_ssize_t n = numbers.len / (Py_ssize_t)sizeof(int64_t);
    if (get(objects[1], &labels, 0, n * (Py_ssize_t)sizeof(int32_t), "labels") < 0)
        goto free_numbers;
    if (get(objects[2], &ids, 0, 0, "global_ids") < 0) goto free_labels;
    if (get(objects[3], &rows, 0, n * (Py_ssize_t)sizeof(Py_ssize_t), "rows") < 0) goto free_ids;
    if (get(objects[4], &out, 1, n * 3 * (Py_ssize_t)sizeof(int64_t), "out") < 0) goto free_rows;
    Py_ssize_t keys = ids.len / (Py_ssize_t)sizeof(int64_t);
    const int32_t *label = labels.buf;
    Py_ssize_t bad = -1;
    Py_BEGIN_ALLOW_THREADS;
    const int64_t *number = numbers.buf, *id = ids.buf;
    const Py_ssize_t *row = rows.buf;
    int64_t *record = out.buf;
    for (Py_ssize_t i = 0; i < n; i++, record += 3) {
        if (label[i] < 0 || label[i] >= keys) {
            bad = i;
            break;
        }
        record[0] = number[i];
        record[1] = id[label[i]];
        record[2] = (int64_t)base + row[i];
    }
    Py_END_ALLOW_THREADS;
    if (bad >= 0)
        PyErr_SetString(PyExc_ValueError, "a label is not in global_ids");
    else
        ok = 1;
    PyBuffer_Release(&out);
free_rows:
    PyBuffer_Release(&rows);
free_ids:
    PyBuffer_Release(&ids);
free_labels:
    PyBuffer_Release(&labels);
free_numbers:
    PyBuffer_Release(&numbers);
    if (!ok) return NULL;
    Py_RETURN_NONE;
}


/* --- a ledger's held records, partition by partition, into one buffer (counting.spill) ---- */

PyDoc_STRVAR(gather_doc,
             "gather(records, bounds, width, first, last, out) -> bytes written\n\n"
             "records: a list of int64[n_i, width] arrays, each grouped by partition as bounds\n"
             "(a list of intp[partitions + 1]) says; out receives partitions first..last-1, each\n"
             "the slices of every array in list order, back to back.");

static PyObject *gather(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *records, *bounds, *target;
    Py_ssize_t width, first, last;
    if (!PyArg_ParseTuple(args, "O!O!nnnO", &PyList_Type, &records, &PyList_Type, &bounds,
                          &width, &first, &last, &target))
        return NULL;
    Py_ssize_t count = PyList_GET_SIZE(records);
    /* (last below PY_SSIZE_T_MAX / 8: the bytes of bounds needed, (last + 1) * 8, must not wrap
       round, or a short bounds passes and is read far past its end) */
    if (PyList_GET_SIZE(bounds) != count || width < 1 || width > 8 || first < 0 || last < first ||
        last >= PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Py_ssize_t)) {
        PyErr_SetString(PyExc_ValueError, "records and bounds of one length; 0 <= first <= last");
        return NULL;
    }
    Py_buffer out;
    if (get(target, &out, 1, 0, "out") < 0) return NULL;
    Py_buffer *views = PyMem_Calloc((size_t)(2 * count + 1), sizeof(Py_buffer));
    Py_ssize_t held = 0, written = -1;
    if (views == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; held < count; held++) {
        Py_buffer *rows = &views[2 * held], *ends = &views[2 * held + 1];
        if (get(PyList_GET_ITEM(records, held), rows, 0, 0, "records") < 0) goto done;
        if (get(PyList_GET_ITEM(bounds, held), ends, 0, (last + 1) * (Py_ssize_t)sizeof(Py_ssize_t),
                "bounds") < 0) {
            PyBuffer_Release(rows);
            goto done;
        }
        const Py_ssize_t *b = ends->buf;
        Py_ssize_t n = rows->len / (Py_ssize_t)(width * sizeof(int64_t));
        for (Py_ssize_t p = first; p <= last; p++) {
            if (b[p] < 0 || b[p] > n || (p > first && b[p] < b[p - 1])) {
                PyErr_SetString(PyExc_ValueError, "bounds out of their records");
                PyBuffer_Release(rows);
                PyBuffer_Release(ends);
                goto done;
            }
        }
    }
    Py_ssize_t total = 0, row_bytes = width * (Py_ssize_t)sizeof(int64_t);
    for (Py_ssize_t i = 0; i < count; i++) {
        const Py_ssize_t *b = views[2 * i + 1].buf;
        total += (b[last] - b[first]) * row_bytes;
    }
    if (total > out.len) {
        PyErr_SetString(PyExc_ValueError, "out: too small for these partitions");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS;
    uint8_t *at = out.buf;
    for (Py_ssize_t p = first; p < last; p++) {
        for (Py_ssize_t i = 0; i < count; i++) {
            const Py_ssize_t *b = views[2 * i + 1].buf;
            Py_ssize_t size = (b[p + 1] - b[p]) * row_bytes;
            if (size > 0) {
                memcpy(at, (const uint8_t *)views[2 * i].buf + b[p] * row_bytes, (size_t)size);
                at += size;
            }
        }
    }
    Py_END_ALLOW_THREADS;
    written = total;
done:
    if (views != NULL) {
        for (Py_ssize_t i = 0; i < 2 * held; i++) PyBuffer_Release(&views[i]);
        PyMem_Free(views);
    }
    PyBuffer_Release(&out);
    if (written < 0) return NULL;
    return PyLong_FromSsize_t(written);
}

static PyMethodDef methods[] = {
    {"resolve", resolve, METH_VARARGS, resolve_doc},
    {"split", split, METH_VARARGS, split_doc},
    {"group", group, METH_VARARGS, group_doc},
    {"duplicates", duplicates, METH_VARARGS, duplicates_doc},
    {"records", records, METH_VARARGS, records_doc},
    {"gather", gather, METH_VARARGS, gather_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_plain",
    .m_doc = "Plain numbers, plain CSV lines and recipients by partition, in C (see wacost.numbers.plain).",
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

/* The sha256 of this file, given by the build (hatch_build.py): wacost.numbers.plain uses the
   extension only when it is the sha256 of the _plain.c beside it (a build of another source
   is not used). */
#ifndef WACOST_SOURCE_SHA256
#define WACOST_SOURCE_SHA256 ""
#endif

PyMODINIT_FUNC PyInit__plain(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddStringConstant(m, "SOURCE_SHA256", WACOST_SOURCE_SHA256) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    for (size_t k = 0; k < sizeof LAYOUT / sizeof LAYOUT[0]; k++) {
        if (PyModule_AddIntConstant(m, LAYOUT[k].name, LAYOUT[k].value) < 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    return m;
}
