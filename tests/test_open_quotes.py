"""A quote left open in a column wacost does not read takes the rows after it into its field:
refused, with its line. Notes over several lines whose lines are not rows are read."""

from __future__ import annotations

import pytest

from tests.conftest import write
from wacost.counting.pipeline import count_campaign
from wacost.errors import InputFileError
from wacost.numbers.resolver import NumberResolver
from wacost.prices.loading import load_price_book

RESOLVER = NumberResolver(load_price_book().numbering)


@pytest.mark.parametrize(
    ("header", "note"),
    [
        ("phone,template,notes", "called back from\n+46 70 123 45 67"),  # a pasted chat log
        ("phone,template,notes", "Alt contacts:\n+46701234599\n+46701234598"),
        ("phone,template,notes", "paid on\n2024-05-01"),  # a date looks like a number
        ("phone,template,notes", "order\n12345678"),
        ("phone,template,notes", "Contacts:\n+46701234599, mom"),
        ("name,phone,template,notes", "Family:\nMom, +46701234599\nDad, +46701234598"),
        ("country,template,count,notes", "regions:\nIN, BR\n12000"),
    ],
)
def test_a_note_with_numbers_on_its_lines_is_read(tmp_path, header, note):
    """A note's lines with a phone number, a date or a country on them are no rows: the row
    shape is the header's number of fields with the row's number where a row has it."""
    columns = header.split(",")
    values = {"phone": "+4670123456{i}", "template": "spring_sale", "name": "Ann"}
    values |= {"country": "IN", "count": "25"}
    rows = []
    for i in range(4):
        fields = [values.get(c, "").format(i=i) for c in columns]
        fields[-1] = f'"{note}"' if i == 1 else "plain"
        rows.append(",".join(fields))
    path = write(tmp_path / "c.csv", header + "\n" + "\n".join(rows) + "\n")
    assert count_campaign([path], RESOLVER, workers=0).rows == 4


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        # a planning file: the rows taken have a country and a count, no phone
        (
            'country,template,count,notes\nIN,spring_sale,25000,"open\n'
            'BR,spring_sale,12000,x\nUS,spring_sale,8000,"y"\n',
            2,
            "notes",
        ),
        # the quote left open before the phone column, closed on the next row: the row that
        # opened it has its phone on the field's first line
        (
            'name,phone,template\n"Bob,+46701234561,spring_sale\n'
            '"Cy",+46701234563,spring_sale\nDee,+46701234564,spring_sale\n',
            2,
            "name",
        ),
        # closed on the next row, the phone column first
        (
            'phone,template,notes\n+46701234561,spring_sale,"open\n'
            '+46701234563,spring_sale,"y"\n+46701234564,spring_sale,z\n',
            2,
            "notes",
        ),
    ],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_rows_taken_into_a_field_are_refused(tmp_path, text, line, column, newline):
    """Each of these used to count fewer messages than the file has rows, without a word."""
    path = write(tmp_path / "c.csv", text.replace("\n", newline))
    with pytest.raises(InputFileError) as caught:
        count_campaign([path], RESOLVER, workers=0)
    assert str(caught.value).startswith(f"{path}:{line}: a quote left open in the {column!r}")


def _category_error(path) -> str:
    with pytest.raises(InputFileError) as caught:
        count_campaign([path], RESOLVER, workers=0)
    return str(caught.value)


def test_an_error_past_a_quoted_line_break_names_a_path_with_braces_as_it_is(tmp_path):
    rows = '+919876500000,spring_sale,marketing,"a\nb"\n+919876500001,spring_sale,promo,x\n'
    path = write(tmp_path / "c{1}.csv", "phone,template,category,notes\n" + rows)
    assert _category_error(path).startswith(f"{path}:4: category 'promo'")


def test_an_error_after_quotes_inside_fields_names_its_line(tmp_path):
    """A quote inside a field (5" screen) is a character of it, not the start of a quoted
    field: the lines after it are rows, and an error names its own line."""
    rows = [f"+9198765{i:05d},spring_sale,marketing,plain" for i in range(12)]
    rows[2] = '+919876500002,spring_sale,marketing,5" screen'
    rows[5] = '+919876500005,spring_sale,marketing,"12"" pizza" a 12" one'
    rows[6] = '+919876500006,spring_sale,marketing,"a\nb"'
    rows[9] = "+919876500009,spring_sale,promo,x"
    path = write(tmp_path / "c.csv", "phone,template,category,notes\n" + "\n".join(rows) + "\n")
    message = _category_error(path)
    assert message.startswith(f"{path}:12: category 'promo'")
    assert path.read_text().splitlines()[11].startswith("+919876500009,")


def test_a_refused_file_keeps_no_reader_to_the_interpreters_exit(tmp_path):
    """The error's traceback lives to the interpreter's exit; a CSV reader kept by one of its
    frames was let go by a pyarrow thread there, which aborted the process (about 2 runs in
    100 of a refused file ended with exit 134 instead of 2)."""
    import pyarrow.csv as pacsv

    from wacost.campaign import inspect_campaign, read_batches

    text = 'phone,template,notes\n+46701234561,spring_sale,"open\n+46701234562,spring_sale,x\n'
    path = write(tmp_path / "c.csv", text + '+46701234563,spring_sale,"y"\n')
    with pytest.raises(InputFileError) as caught:
        list(read_batches(inspect_campaign(path)))
    frames, tb = [], caught.value.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    assert any(frame.f_code.co_name == "read_batches" for frame in frames)
    kept = [
        v for f in frames for v in f.f_locals.values() if isinstance(v, pacsv.CSVStreamingReader)
    ]
    assert not kept


def _ends_in_quotes(data: bytes) -> bool:
    """pyarrow's reader's rule, byte by byte: a quote opens a field only at its start; inside,
    a quote closes it unless doubled; after it closes, the field's bytes are characters."""
    state, at = "start", 0
    while at < len(data):
        byte = data[at : at + 1]
        if state == "quoted":
            if byte == b'"':
                if data[at + 1 : at + 2] == b'"':
                    at += 1
                else:
                    state = "field"
        elif byte in b",\r\n":
            state = "start"
        elif state == "start":
            state = "quoted" if byte == b'"' else "field"
        at += 1
    return state == "quoted"


def test_the_quote_scanner_follows_the_reader_on_any_bytes_in_any_chunks():
    """QuoteWatch (which refuses a file that ends inside a quote) against the reader's rule, on
    bytes full of quotes inside unquoted fields (5" screen), doubled and left-open quotes, cut
    into chunks anywhere: a quote inside a field taken for one that opens it refuses a file."""
    import random

    from wacost.lines import QuoteWatch

    rnd = random.Random(11)
    pieces = [b'"', b'""', b",", b"\n", b"\r\n", b"\r", b"a", b" ", b'5"', b'"x"']
    for _ in range(3000):
        data = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 80)))
        cuts = sorted(rnd.sample(range(len(data) + 1), min(len(data) + 1, rnd.randint(0, 4))))
        watch = QuoteWatch("utf-8", 0, ",")
        for begin, end in zip([0, *cuts], [*cuts, len(data)]):
            watch.feed(data[begin:end])
        watch.feed(b"")
        assert watch.ends_inside_quotes == _ends_in_quotes(data), (data, cuts)
