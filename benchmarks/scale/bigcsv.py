"""Writes a large synthetic campaign CSV (phone,template) fast, plus its templates JSON.
usage: bigcsv.py ROWS OUT.csv TEMPLATES.json"""

import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

n, out, tout = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = np.random.default_rng(7)
# calling-code prefixes of valid mobile ranges, and how many random digits follow
pref = [
    ("+9198", 8),
    ("+49151", 8),
    ("+4670", 7),
    ("+55119", 8),
    ("+1212", 7),
    ("+1876", 7),
    ("+7912", 7),
    ("+7701", 7),
    ("+3620", 7),
    ("+23480", 8),
    ("+5255", 8),
    ("+4477", 8),
    ("+336", 8),
    ("+2010", 8),
    ("+62812", 8),
    ("+2547", 8),
    ("+5731", 8),
    ("+97150", 7),
    ("+96650", 7),
    ("+8613", 9),
]
which = rng.integers(0, len(pref), n)
chunks = []
for i, (p, k) in enumerate(pref):
    m = int((which == i).sum())
    digits = rng.integers(10 ** (k - 1), 10**k, m)
    s = pc.binary_join_element_wise(pa.array([p] * m), pc.cast(pa.array(digits), pa.string()), "")
    chunks.append(s)
phones = pa.chunked_array(chunks).combine_chunks()
perm = pa.array(rng.permutation(n))
phones = pc.take(phones, perm)
names = [
    "spring_sale_41",
    "order_update_7",
    "login_code_3",
    "appointment_12",
    "new_arrivals_9",
    "ship_notice_5",
]
cats = ["MARKETING", "UTILITY", "AUTHENTICATION", "UTILITY", "MARKETING", "UTILITY"]
tmpl = pc.take(pa.array(names), pa.array(rng.integers(0, len(names), n)))
pcsv.write_csv(
    pa.table({"phone": phones, "template": tmpl}), out, pcsv.WriteOptions(quoting_style="none")
)
json.dump(
    {
        "data": [
            {
                "name": nm,
                "language": "en_US",
                "status": "APPROVED",
                "category": c,
                "id": str(1000 + i),
                "components": [{"type": "BODY", "text": f"Template {nm} body {{{{1}}}}."}],
            }
            for i, (nm, c) in enumerate(zip(names, cats))
        ]
    },
    open(tout, "w"),
)
