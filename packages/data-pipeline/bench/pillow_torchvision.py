"""The same work with Pillow + torchvision, one thread: open, convert RGB, resize to 180x180
(BILINEAR), RandomHorizontalFlip, RandomRotation(36 degrees = Keras factor 0.1, BILINEAR), to a
uint8 tensor. 'decode' epochs do all of it (torchvision's ImageFolder has no cache); 'cached'
keeps the resized PIL images and redoes only flip + rotation + tensor, for reference."""
import json, os, sys, time
import torch
from PIL import Image
import torchvision.transforms as T
import torchvision.transforms.functional as F

torch.set_num_threads(1)
torch.manual_seed(1337)
root, epochs = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith('.jpg'))
augment = T.Compose([T.RandomHorizontalFlip(), T.RandomRotation(36, interpolation=T.InterpolationMode.BILINEAR)])

def epoch_decode():
    out = []
    for f in files:
        with Image.open(f) as im:
            img = im.convert('RGB').resize((180, 180), Image.BILINEAR)
        out.append(F.pil_to_tensor(augment(img)))
    return out

times = []
for e in range(epochs):
    t = time.perf_counter(); epoch_decode(); times.append(time.perf_counter() - t)
resized = []
for f in files:
    with Image.open(f) as im:
        resized.append(im.convert('RGB').resize((180, 180), Image.BILINEAR))
t = time.perf_counter()
for img in resized:
    F.pil_to_tensor(augment(img))
cached = time.perf_counter() - t
n = len(files)
print(json.dumps({'images': n, 'decodePerSec': n / min(times), 'cachedPerSec': n / cached,
                  'versions': {'pillow': Image.__version__, 'torch': torch.__version__}}))
