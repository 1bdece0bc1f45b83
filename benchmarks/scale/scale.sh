#!/bin/bash
# Scaling check (wacost issue 15): 10M and 100M generated rows priced through the library, side by side with
# pyarrow parsing the same file, then with 2, 4, 8 and 16 cores (taskset). Put the wheels of wacost and of
# any package the machine lacks in wheels/ beside this script. Adapt libest.py when the API changes.
export PYTHONUNBUFFERED=1
R=$(cd "$(dirname "$0")" && pwd)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site $R/wheels/*.whl || exit 1
export PYTHONPATH=/tmp/site
nproc; python3 -c "import pyarrow, pandas, numpy; print('pyarrow', pyarrow.__version__, 'pandas', pandas.__version__, 'numpy', numpy.__version__)"
cat > /tmp/meas.py <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter(); p = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE, text=True)
w = time.perf_counter() - t; r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"wall {w:.2f}s rc {p.returncode} peak {r.ru_maxrss/1024:.0f}MiB cpu {r.ru_utime+r.ru_stime:.1f}s  :: {' '.join(sys.argv[1:])[-60:]}", flush=True)
if p.returncode: print(p.stderr[-800:])
PY
cd /tmp
t=$(date +%s); python3 $R/bigcsv.py 10000000 c10m.csv c10m.json; python3 $R/bigcsv.py 100000000 c100m.csv c100m.json; echo "gen $(( $(date +%s)-t ))s"
PARSE='import sys,pyarrow.csv as c; c.read_csv(sys.argv[1])'
for f in c10m c100m; do for i in 1 2; do
  python3 /tmp/meas.py python3 $R/libest.py $f.csv $f.json
  python3 /tmp/meas.py python3 -c "$PARSE" $f.csv
done; done
for cpus in 0-1 0-3 0-7 0-15; do echo "taskset $cpus"; for i in 1 2; do
  taskset -c $cpus python3 /tmp/meas.py python3 $R/libest.py c10m.csv c10m.json
  taskset -c $cpus python3 /tmp/meas.py python3 -c "$PARSE" c10m.csv
done; done
