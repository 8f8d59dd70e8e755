"""PyTorch timing of the forward benchmark (`locate bench forward --pytorch PYTHON`): float32,
no_grad, use_cache=False, logits at every position, eager and sdpa attention, on the token ids
`locate` times itself (identical rows of a batch). Test-time oracle only: run it in a virtual
environment with torch, transformers, gguf and accelerate.

    python scripts/oracle/time_forward.py MODEL.gguf IDS.json THREADS REPETITIONS

IDS.json is {"ids": [...], "rows": [[tokens, batch], ...]}. One JSON object per line on stdout:
{"attention", "tokens", "batch", "ms_median", "ms_min"}, then {"decode_ms_per_token"} (greedy,
with the key-value cache, eager attention), then {"torch", "transformers", "threads"}.
"""
import json, os, statistics, sys, time
import torch
import transformers
from transformers import AutoModelForCausalLM

path, ids_path = sys.argv[1], sys.argv[2]
threads, repetitions = int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
folder, name = os.path.dirname(os.path.abspath(path)), os.path.basename(path)
spec = json.load(open(ids_path))
ids, rows = spec["ids"], spec["rows"]


def timed(body):
    body()
    samples = []
    for _ in range(max(1, repetitions)):
        start = time.perf_counter()
        body()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples)


for attention in ["eager", "sdpa"]:
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32,
                                                 attn_implementation=attention).eval()
    with torch.no_grad():
        for tokens, batch in rows:
            x = torch.tensor([ids[:tokens]] * batch)
            median, least = timed(lambda: model(input_ids=x, use_cache=False))
            print(json.dumps(dict(attention=attention, tokens=tokens, batch=batch, ms_median=median, ms_min=least)), flush=True)
        if attention == "eager":
            prompt = torch.tensor([ids[:5]])
            def generate(n):
                return lambda: model.generate(prompt, max_new_tokens=n, min_new_tokens=n, do_sample=False, use_cache=True)
            long, _ = timed(generate(33))
            short, _ = timed(generate(1))
            print(json.dumps(dict(decode_ms_per_token=(long - short) / 32)), flush=True)
    del model
print(json.dumps(dict(torch=torch.__version__, transformers=transformers.__version__, threads=torch.get_num_threads())), flush=True)
