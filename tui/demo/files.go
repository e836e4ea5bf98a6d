package demo

// Realistic lock files for the demo's snapshots; the %s verbs take the
// versions that change between runs.

const pyproject = `[project]
name = "vision"
version = "0.4.0"
requires-python = ">=3.11"
dependencies = [
    "torch==%s",
    "numpy==%s",
    "torchvision>=0.19",
    "tqdm>=4.66",
]
`

const uvLock = `version = 1
requires-python = ">=3.11"

[[package]]
name = "filelock"
version = "3.16.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "%s"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pillow"
version = "11.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "torch"
version = "%s"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "filelock" },
    { name = "typing-extensions" },
]

[[package]]
name = "tqdm"
version = "4.67.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "typing-extensions"
version = "4.12.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "vision"
version = "0.4.0"
source = { editable = "." }
`

const trainDiff = `diff --git a/train.py b/train.py
index 3b18e51a7c2c0f0d0c1b3e6f5a4d2c1b0a9f8e7d..8c2d4e6f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d 100644
--- a/train.py
+++ b/train.py
@@ -12,7 +12,9 @@ def transforms(kind):
     if kind == "crop+flip":
         return T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()])
-    return T.Compose([])
+    if kind == "randaugment":
+        return T.Compose([T.RandAugment(num_ops=2, magnitude=9)])
+    return T.Compose([])
 
 
 def main():
`

const juliaProject = `name = "Sentiment"
uuid = "8c3e9b2a-4f1d-4e6a-9b7c-2d5e8f1a3b6c"

[deps]
Flux = "587475ba-b771-5e3f-ad9e-33799f191a9c"
MLUtils = "f1d291b0-491e-4a28-83b9-f70985020b54"
WordTokenizers = "796a5d58-b03d-544a-977e-18100b691f6e"
`

const juliaManifest = `# This file is machine-generated - editing it directly is not advised

julia_version = "1.11.5"
manifest_format = "2.0"

[[deps.Adapt]]
deps = ["LinearAlgebra"]
uuid = "79e6a3ab-5dfb-504d-930d-738a2a938a0e"
version = "4.0.4"

[[deps.Flux]]
deps = ["Adapt", "Functors", "MLUtils", "NNlib", "Optimisers"]
uuid = "587475ba-b771-5e3f-ad9e-33799f191a9c"
version = "%s"

[[deps.Functors]]
uuid = "d9f16b24-f501-4c13-a1f2-28368ffc5196"
version = "0.4.12"

[[deps.LinearAlgebra]]
deps = ["Libdl", "libblastrampoline_jll"]
uuid = "37e2e46d-f89d-539d-b4ee-838fcccc9c8e"
version = "1.11.0"

[[deps.MLUtils]]
uuid = "f1d291b0-491e-4a28-83b9-f70985020b54"
version = "0.4.4"

[[deps.NNlib]]
uuid = "872c559c-99b0-510c-b3b7-b6c96a88d5cd"
version = "0.9.24"

[[deps.Optimisers]]
uuid = "3bd65402-5787-11e9-1adc-39752487f4e2"
version = "0.3.3"

[[deps.WordTokenizers]]
uuid = "796a5d58-b03d-544a-977e-18100b691f6e"
version = "0.5.6"
`
