"""The compiled reader of plain numbers (_plain.c); see wacost.numbers.plain."""

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
