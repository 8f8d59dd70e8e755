# Sourced by the scripts: pick OpenBLAS's best kernel for this CPU when OPENBLAS_CORETYPE is unset
# (OpenBLAS 0.3.21 falls back to Prescott on VMs that hide the CPU model). The `locate` binary
# does the same by itself; this is for test processes.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -r /proc/cpuinfo ]; then
  flags=$(grep -m1 '^flags' /proc/cpuinfo)
  if [[ $flags == *avx512f* && $flags == *avx512bw* && $flags == *avx512vl* && $flags == *avx512dq* ]]; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif [[ $flags == *avx2* && $flags == *fma* ]]; then
    export OPENBLAS_CORETYPE=Haswell
  fi
fi
