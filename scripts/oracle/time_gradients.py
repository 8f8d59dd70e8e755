"""PyTorch timing of the gradient benchmark (`locate bench grad`): forward + backward of
log p(greedy next token) to the input of down_proj (blocks.{l}.mlp.hook_post) for l = 0 and 20,
on the three reference prompts. Test-time oracle only: run it in a virtual environment with
torch, transformers, gguf and accelerate (see ../shared/reference/environment_pip_freeze.txt).

    python scripts/oracle/time_gradients.py MODEL.gguf OUT.json [threads]

The hooked activation is made a leaf (detached, requires_grad) so autograd builds the graph only
from that layer on, the fastest way to get this gradient in PyTorch; the forward still runs every
layer, as PyTorch has no resumable run.
"""
import json, os, statistics, sys, time
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

path, out = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
torch.set_num_threads(threads)
folder, name = os.path.dirname(os.path.abspath(path)), os.path.basename(path)
tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
for p in model.parameters():
    p.requires_grad_(False)

def gradient(ids, layer, target):
    leaf = {}
    def pre(module, inputs):
        a = inputs[0].detach().requires_grad_(True)
        leaf["a"] = a
        return (a,)
    h = model.model.layers[layer].mlp.down_proj.register_forward_pre_hook(pre)
    logits = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0, -1]
    h.remove()
    j = torch.log_softmax(logits, -1)[target]
    j.backward()
    return leaf["a"].grad

results = []
for prompt in ["The capital of France is", "SMAP was created in", "The Eiffel Tower is located in the city of"]:
    ids = tok.encode(prompt, add_special_tokens=False)
    with torch.no_grad():
        target = int(model(input_ids=torch.tensor([ids]), use_cache=False).logits[0, -1].argmax())
    for layer in [0, 20]:
        for _ in range(3):
            gradient(ids, layer, target)
        times = []
        for _ in range(15):
            t = time.perf_counter(); gradient(ids, layer, target); times.append((time.perf_counter() - t) * 1000)
        results.append({"prompt": prompt, "layer": layer, "ms_median": statistics.median(times), "ms_min": min(times)})
        print(prompt, layer, round(statistics.median(times), 1), "ms")
json.dump({"torch": torch.__version__, "threads": threads, "results": results}, open(out, "w"), indent=1)
