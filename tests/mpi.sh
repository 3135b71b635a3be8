#!/bin/bash
# A surface computed by 2 MPI ranks equals the single-process surface byte for
# byte, also when the ranks were killed and the grid resumed. Usage: tests/mpi.sh PLAIN_SADDLE MPI_SADDLE
set -euo pipefail
plain=$1 mpi=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$plain" train configs/spirals.ini --out "$tmp/run" --set train.epochs=5 --set train.threads=1 > /dev/null 2>&1
common=(--grid 13x11 --range -1:1,-0.5:0.5 --limit 300 --threads 1)
"$plain" surface "$tmp/run" "${common[@]}" --out "$tmp/one" > /dev/null 2>&1
mpirun --oversubscribe --allow-run-as-root -np 2 "$mpi" surface "$tmp/run" "${common[@]}" --out "$tmp/two" > /dev/null
pass=0 fail=0
for f in surface.npy surface_acc.npy surface_done.npy; do
    if cmp -s "$tmp/one/$f" "$tmp/two/$f"; then
        pass=$((pass + 1))
    else
        echo "FAIL mpi: $f differs between 1 process and 2 ranks"
        fail=$((fail + 1))
    fi
done
# Each rank saves its own points while it runs: 2 ranks killed mid-grid,
# then rerun, resume from every rank's part and end as one process does.
grid=(--grid 41x41 --limit 200 --threads 1)
"$plain" surface "$tmp/run" "${grid[@]}" --out "$tmp/whole" > /dev/null 2>&1
setsid mpirun --oversubscribe --allow-run-as-root -np 2 "$mpi" surface "$tmp/run" "${grid[@]}" \
    --out "$tmp/cut" --save-every 0 > "$tmp/cut.log" 2>&1 &
leader=$!
for _ in $(seq 1 3000); do
    [ -s "$tmp/cut/surface.rank-0_done.npy" ] && [ -s "$tmp/cut/surface.rank-1_done.npy" ] \
        && [ -s "$tmp/cut/surface.json" ] && break
    sleep 0.01
done
kill -9 -- "-$leader" 2> /dev/null || true
wait "$leader" 2> /dev/null || true
# mpirun can die before its ranks: the rerun would rightly find the output
# still locked by the old rank 0, so wait until the killed ranks are gone.
for _ in $(seq 1 1000); do
    flock -n "$tmp/cut/.saddle-lock" true 2> /dev/null && break
    sleep 0.01
done
if grep -q '"complete":.true' "$tmp/cut/surface.json" 2> /dev/null; then
    echo "FAIL mpi resume: the surface ended before it could be killed"
    fail=$((fail + 1))
else
    mpirun --oversubscribe --allow-run-as-root -np 2 "$mpi" surface "$tmp/run" "${grid[@]}" \
        --out "$tmp/cut" > "$tmp/resume.log" 2>&1
    same=1
    for f in surface.npy surface_acc.npy surface_done.npy; do
        cmp -s "$tmp/whole/$f" "$tmp/cut/$f" || same=0
    done
    if grep -q "resuming" "$tmp/resume.log" && [ "$same" = 1 ] && ! ls "$tmp/cut" | grep -q rank-; then
        pass=$((pass + 1))
    else
        echo "FAIL mpi resume: no resume, a different result or rank parts left behind"
        cat "$tmp/resume.log"
        fail=$((fail + 1))
    fi
fi
# The Hessian with the data subset sharded across 2 ranks (HVPs summed with
# MPI_Allreduce) equals one process's up to summation order.
hess=(--top 2 --limit 300 --threads 1 --tol 1e-8)
"$plain" hessian "$tmp/run" "${hess[@]}" --out "$tmp/h1" | grep -E 'lambda_(1|2|min) ' > "$tmp/h1.txt"
mpirun --oversubscribe --allow-run-as-root -np 2 "$mpi" hessian "$tmp/run" "${hess[@]}" --out "$tmp/h2" \
    | grep -E 'lambda_(1|2|min) ' > "$tmp/h2.txt"
if [ -s "$tmp/h1.txt" ] && paste "$tmp/h1.txt" "$tmp/h2.txt" | awk '
    { a = $2; b = $(NF/2 + 2); d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a;
      if (d > 1e-4 * (m > 1e-3 ? m : 1e-3)) { print "FAIL mpi hessian: " a " vs " b; bad = 1 } }
    END { exit bad }'; then
    pass=$((pass + 1))
else
    echo "FAIL mpi: Hessian eigenvalues differ between 1 process and 2 ranks"
    cat "$tmp/h1.txt" "$tmp/h2.txt"
    fail=$((fail + 1))
fi
echo "mpi: $pass passed, $fail failed"
test "$fail" -eq 0
