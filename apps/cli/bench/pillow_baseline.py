"""The per-core baseline for `pnpm bench:scale`: Pillow (+ torchvision when installed) doing the
same work as pawpipe's first epoch on the same files: open, (draft() for the fast mode: libjpeg's
DCT scaling to the smallest size >= 180x180), convert RGB, resize to 180x180 BILINEAR,
RandomHorizontalFlip, RandomRotation(36 degrees = Keras factor 0.1, BILINEAR), to uint8 arrays.
Without torchvision the flip and rotation are Pillow's transpose() and rotate() (same work,
said in the output). Prints one JSON line."""
import json, sys, time, random
from PIL import Image

files, mode = json.load(open(sys.argv[1])), sys.argv[2]
try:
    import torch
    import torchvision.transforms as T
    import torchvision.transforms.functional as F
    torch.set_num_threads(1)
    torch.manual_seed(1337)
    augment = T.Compose([T.RandomHorizontalFlip(), T.RandomRotation(36, interpolation=T.InterpolationMode.BILINEAR)])
    to_array = F.pil_to_tensor
    side = 'Pillow %s + torchvision' % Image.__version__
except ImportError:
    rng = random.Random(1337)
    def augment(img):
        if rng.random() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        return img.rotate(rng.uniform(-36, 36), resample=Image.BILINEAR)
    to_array = lambda img: img.tobytes()
    side = 'Pillow %s only (torchvision not installed)' % Image.__version__

def one(f):
    with Image.open(f) as im:
        if mode == 'fast':
            im.draft('RGB', (180, 180))
        img = im.convert('RGB').resize((180, 180), Image.BILINEAR)
    return to_array(augment(img))

for f in files[:32]:  # warm-up, as the Node side does one batch
    try: one(f)
    except Exception: pass
t, c = time.perf_counter(), time.process_time()
n = 0
for f in files:
    try:
        one(f); n += 1
    except Exception:
        pass  # broken files: pawpipe leaves them out too
print(json.dumps({'images': n, 'cpuS': time.process_time() - c, 'wallS': time.perf_counter() - t, 'side': side}))
