"""The compiled reader of plain numbers (_plain.c); see wacost.numbers.plain."""

# the seven-digit table's layout it was built with (see wacost.numbers.sevens)
NONE_SHIFT: int
LENGTH_SHIFT: int
LENGTH_MASK: int
REGEX_SHIFT: int
COUNTRY_SHIFT: int
COUNTRY_MASK: int
TABLE_SIZE: int

def resolve(
    n: int,
    offsets: object,
    data: object,
    table: object,
    national: bool,
    numbers: object,
    country: object,
    state: object,
    /,
) -> int: ...
def split(
    data: object,
    ncols: int,
    delimiter: int,
    slot_of: object,
    max_rows: int,
    max_line: int,
    offsets: object,
    values: object,
    capacity: int,
    /,
) -> int: ...
def group(
    valid: object, numbers: object, bits: int, rows: object, grouped: object, bounds: object, /
) -> int: ...
def duplicates(
    records: object, width: int, key_template: object, radix: int, /
) -> tuple[int, int, int, int]: ...
def records(
    numbers: object, labels: object, global_ids: object, rows: object, base: int, out: object, /
) -> None: ...
def gather(
    records: list[object], bounds: list[object], width: int, first: int, last: int, out: object, /
) -> int: ...
