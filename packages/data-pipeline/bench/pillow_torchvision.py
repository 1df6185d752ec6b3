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

wall, cpu = [], []
for e in range(epochs):
    t, c = time.perf_counter(), time.process_time()  # process_time: CPU of all threads
    epoch_decode()
    wall.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
resized = []
for f in files:
    with Image.open(f) as im:
        resized.append(im.convert('RGB').resize((180, 180), Image.BILINEAR))
t, c = time.perf_counter(), time.process_time()
for img in resized:
    F.pil_to_tensor(augment(img))
kept_wall, kept_cpu = time.perf_counter() - t, time.process_time() - c
n = len(files)
print(json.dumps({'images': n, 'decodeWall': n / min(wall), 'decodeCpu': n / min(cpu),
                  'keptWall': n / kept_wall, 'keptCpu': n / kept_cpu,
                  'versions': {'pillow': Image.__version__, 'torch': torch.__version__}}))
