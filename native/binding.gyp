{
  "targets": [
    {
      "target_name": "privmed_native",
      "sources": ["addon.c", "addon-call.c", "addon-train.c", "isa.c", "pool.c", "gemm.c", "conv.c", "conv-filter-grad.c", "conv-rows.c", "elementwise.c", "pooling.c", "norm.c", "clip.c", "noise.c", "noise-ahead.c", "addon-noise.c", "ring.c", "addon-ring.c"],
      "cflags": ["-O3", "-std=c11", "-pthread", "-fno-strict-aliasing", "-fno-math-errno"],
      "cflags!": ["-O2", "-O0"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8"],
      "xcode_settings": {"OTHER_CFLAGS": ["-O3", "-std=c11"]}
    }
  ]
}
