"""``model.summary()`` compared, character for character, with Keras 3.15's.

Every expected text in this file (the upper-case constants) is Keras 3.15's own output (JAX
backend) for the same model definition, captured with ``print_fn`` in an 80-column console
(``COLUMNS=80``) unless the test names another width.
"""
import numpy as np
import pytest

import pykeras as keras

L = keras.layers


@pytest.fixture(autouse=True)
def console_80_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def sequential():
    return keras.Sequential([keras.Input((4,)), L.Dense(8, name="dense_a"), L.Dropout(0.5, name="drop"),
                             L.BatchNormalization(name="bn"), L.Dense(3, name="dense_b")], name="seq")


def two_inputs_two_outputs():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    shared = L.Dense(5, name="shared")
    joined = L.Concatenate(name="concat")([shared(a), shared(L.Dense(4, name="proj")(b))])
    return keras.Model([a, b], [L.Dense(2, name="out1")(joined), L.Dense(1, name="out2")(joined)], name="multi")


def nested():
    a = keras.Input((4,), name="a")
    sub = keras.Model(a, [L.Dense(3, name="b1")(a), L.Dense(2, name="b2")(a)], name="sub")
    x = keras.Input((4,), name="x")
    p, q = sub(x)
    tail = keras.Sequential([L.Dense(4, name="s1"), keras.Sequential([L.Dense(2, name="deep")], name="deeper")],
                            name="tail")
    return keras.Model(x, tail(L.Concatenate(name="cat")([p, q])), name="outer")


class Subclassed(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d1 = L.Dense(8, name="d1")
        self.drop = L.Dropout(0.2, name="dr")
        self.d2 = L.Dense(3, name="d2")

    def call(self, x, training=False):
        return self.d2(self.drop(self.d1(x), training=training))


def summary_text(model, **kwargs):
    """The text ``summary`` gives ``print_fn``: Keras calls it once, with the whole summary."""
    calls = []
    model.summary(print_fn=lambda *args, **kw: calls.append((args, kw)), **kwargs)
    assert len(calls) == 1 and len(calls[0][0]) == 1 and not calls[0][1]
    return calls[0][0][0]


SEQUENTIAL = """\
Model: "seq"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense_a (Dense)                 │ (None, 8)              │            40 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ drop (Dropout)                  │ (None, 8)              │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ bn (BatchNormalization)         │ (None, 8)              │            32 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_b (Dense)                 │ (None, 3)              │            27 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 99 (396.00 B)
 Trainable params: 83 (332.00 B)
 Non-trainable params: 16 (64.00 B)
"""

SEQUENTIAL_TRAINABLE = """\
Model: "seq"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ dense_a (Dense)             │ (None, 8)             │         40 │   Y   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ drop (Dropout)              │ (None, 8)             │          0 │   -   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ bn (BatchNormalization)     │ (None, 8)             │         32 │   N   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ dense_b (Dense)             │ (None, 3)             │         27 │   Y   │
└─────────────────────────────┴───────────────────────┴────────────┴───────┘
 Total params: 99 (396.00 B)
 Trainable params: 67 (268.00 B)
 Non-trainable params: 32 (128.00 B)
"""

SEQUENTIAL_40 = """\
Model: "seq"
┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃                 ┃ Output     ┃ Param ┃
┃ Layer (type)    ┃ Shape      ┃     # ┃
┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ dense_a (Dense) │ (None, 8)  │    40 │
├─────────────────┼────────────┼───────┤
│ drop (Dropout)  │ (None, 8)  │     0 │
├─────────────────┼────────────┼───────┤
│ bn              │ (None, 8)  │    32 │
│ (BatchNormaliz… │            │       │
├─────────────────┼────────────┼───────┤
│ dense_b (Dense) │ (None, 3)  │    27 │
└─────────────────┴────────────┴───────┘
 Total params: 99 (396.00 B)
 Trainable params: 83 (332.00 B)
 Non-trainable params: 16 (64.00 B)
"""

SEQUENTIAL_100 = """\
Model: "seq"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳
┃ Layer (type)                               ┃ Output Shape                    ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇
│ dense_a (Dense)                            │ (None, 8)                       │
├────────────────────────────────────────────┼─────────────────────────────────┼
│ drop (Dropout)                             │ (None, 8)                       │
├────────────────────────────────────────────┼─────────────────────────────────┼
│ bn (BatchNormalization)                    │ (None, 8)                       │
├────────────────────────────────────────────┼─────────────────────────────────┼
│ dense_b (Dense)                            │ (None, 3)                       │
└────────────────────────────────────────────┴─────────────────────────────────┴
 Total params: 99 (396.00 B)
 Trainable params: 83 (332.00 B)
 Non-trainable params: 16 (64.00 B)
"""

SEQUENTIAL_POSITIONS = """\
Model: "seq"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓
┃ Layer (type)                     ┃ Output Shape             ┃    Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩
│ dense_a (Dense)                  │ (None, 8)                │         40 │
├──────────────────────────────────┼──────────────────────────┼────────────┤
│ drop (Dropout)                   │ (None, 8)                │          0 │
├──────────────────────────────────┼──────────────────────────┼────────────┤
│ bn (BatchNormalization)          │ (None, 8)                │         32 │
├──────────────────────────────────┼──────────────────────────┼────────────┤
│ dense_b (Dense)                  │ (None, 3)                │         27 │
└──────────────────────────────────┴──────────────────────────┴────────────┘
 Total params: 99 (396.00 B)
 Trainable params: 83 (332.00 B)
 Non-trainable params: 16 (64.00 B)
"""

SEQUENTIAL_RANGE = """\
Model: "seq"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ drop (Dropout)                  │ (None, 8)              │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ bn (BatchNormalization)         │ (None, 8)              │            32 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 99 (396.00 B)
 Trainable params: 83 (332.00 B)
 Non-trainable params: 16 (64.00 B)
"""

MULTI = """\
Model: "multi"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ b (InputLayer)      │ (None, 3)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ a (InputLayer)      │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ proj (Dense)        │ (None, 4)         │         16 │ b[0][0]           │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ shared (Dense)      │ (None, 5)         │         25 │ a[0][0],          │
│                     │                   │            │ proj[0][0]        │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ concat              │ (None, 10)        │          0 │ shared[0][0],     │
│ (Concatenate)       │                   │            │ shared[1][0]      │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ out1 (Dense)        │ (None, 2)         │         22 │ concat[0][0]      │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ out2 (Dense)        │ (None, 1)         │         11 │ concat[0][0]      │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 74 (296.00 B)
 Trainable params: 74 (296.00 B)
 Non-trainable params: 0 (0.00 B)
"""

MULTI_TRAINABLE_45 = """\
Model: "multi"
┏━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━┳━━━━━━━━━┳━━━━┓
┃ Layer     ┃ Output  ┃ Par… ┃ Connec… ┃    ┃
┃ (type)    ┃ Shape   ┃    # ┃ to      ┃ T… ┃
┡━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━╇━━━━━━━━━╇━━━━┩
│ b         │ (None,  │    0 │ -       │ -  │
│ (InputLa… │ 3)      │      │         │    │
├───────────┼─────────┼──────┼─────────┼────┤
│ a         │ (None,  │    0 │ -       │ -  │
│ (InputLa… │ 4)      │      │         │    │
├───────────┼─────────┼──────┼─────────┼────┤
│ proj      │ (None,  │   16 │ b[0][0] │ Y  │
│ (Dense)   │ 4)      │      │         │    │
├───────────┼─────────┼──────┼─────────┼────┤
│ shared    │ (None,  │   25 │ a[0][0… │ Y  │
│ (Dense)   │ 5)      │      │ proj[0… │    │
├───────────┼─────────┼──────┼─────────┼────┤
│ concat    │ (None,  │    0 │ shared… │ -  │
│ (Concate… │ 10)     │      │ shared… │    │
├───────────┼─────────┼──────┼─────────┼────┤
│ out1      │ (None,  │   22 │ concat… │ Y  │
│ (Dense)   │ 2)      │      │         │    │
├───────────┼─────────┼──────┼─────────┼────┤
│ out2      │ (None,  │   11 │ concat… │ Y  │
│ (Dense)   │ 1)      │      │         │    │
└───────────┴─────────┴──────┴─────────┴────┘
 Total params: 74 (296.00 B)
 Trainable params: 74 (296.00 B)
 Non-trainable params: 0 (0.00 B)
"""

NESTED = """\
Model: "outer"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ x (InputLayer)      │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ sub (Functional)    │ [(None, 3),       │         25 │ x[0][0]           │
│                     │ (None, 2)]        │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ cat (Concatenate)   │ (None, 5)         │          0 │ sub[0][0],        │
│                     │                   │            │ sub[0][1]         │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ tail (Sequential)   │ (None, 2)         │         34 │ cat[0][0]         │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 59 (236.00 B)
 Trainable params: 59 (236.00 B)
 Non-trainable params: 0 (0.00 B)
"""

NESTED_EXPANDED_50 = """\
Model: "outer"
┏━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━┓
┃              ┃ Output     ┃ Param ┃ Connected  ┃
┃ Layer (type) ┃ Shape      ┃     # ┃ to         ┃
┡━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━┩
│ x            │ (None, 4)  │     0 │ -          │
│ (InputLayer) │            │       │            │
├──────────────┼────────────┼───────┼────────────┤
│ sub          │ [(None,    │    25 │ x[0][0]    │
│ (Functional) │ 3), (None, │       │            │
│              │ 2)]        │       │            │
├──────────────┼────────────┼───────┼────────────┤
│    └ a       │ (None, 4)  │     0 │ -          │
│ (InputLayer) │            │       │            │
├──────────────┼────────────┼───────┼────────────┤
│    └ b1      │ (None, 3)  │    15 │ -          │
│ (Dense)      │            │       │            │
├──────────────┼────────────┼───────┼────────────┤
│    └ b2      │ (None, 2)  │    10 │ -          │
│ (Dense)      │            │       │            │
├──────────────┼────────────┼───────┼────────────┤
│ cat          │ (None, 5)  │     0 │ sub[0][0], │
│ (Concatenat… │            │       │ sub[0][1]  │
├──────────────┼────────────┼───────┼────────────┤
│ tail         │ (None, 2)  │    34 │ cat[0][0]  │
│ (Sequential) │            │       │            │
├──────────────┼────────────┼───────┼────────────┤
│    └ s1      │ (None, 4)  │    24 │ -          │
│ (Dense)      │            │       │            │
├──────────────┼────────────┼───────┼────────────┤
│    └ deeper  │ (None, 2)  │    10 │ -          │
│ (Sequential) │            │       │            │
├──────────────┼────────────┼───────┼────────────┤
│       └ deep │ (None, 2)  │    10 │ -          │
│ (Dense)      │            │       │            │
└──────────────┴────────────┴───────┴────────────┘
 Total params: 59 (236.00 B)
 Trainable params: 59 (236.00 B)
 Non-trainable params: 0 (0.00 B)
"""

SUBCLASSED_CALLED = """\
Model: "sub"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ d1 (Dense)                  │ (2, 8)                │         40 │   N   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ dr (Dropout)                │ ?                     │          0 │   -   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ d2 (Dense)                  │ (2, 3)                │         27 │   Y   │
└─────────────────────────────┴───────────────────────┴────────────┴───────┘
 Total params: 67 (268.00 B)
 Trainable params: 27 (108.00 B)
 Non-trainable params: 40 (160.00 B)
"""

SUBCLASSED_SYMBOLIC = """\
Model: "sub"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ d1 (Dense)                      │ (None, 8)              │            40 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dr (Dropout)                    │ ?                      │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ d2 (Dense)                      │ (None, 3)              │            27 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 67 (268.00 B)
 Trainable params: 67 (268.00 B)
 Non-trainable params: 0 (0.00 B)
"""

SUBCLASSED_UNBUILT = """\
Model: "sub"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ d1 (Dense)                      │ ?                      │   0 (unbuilt) │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dr (Dropout)                    │ ?                      │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ d2 (Dense)                      │ ?                      │   0 (unbuilt) │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)
"""

SEQUENTIAL_100_IN_120 = """\
Model: "seq"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                               ┃ Output Shape                    ┃           Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ dense_a (Dense)                            │ (None, 8)                       │                40 │
├────────────────────────────────────────────┼─────────────────────────────────┼───────────────────┤
│ drop (Dropout)                             │ (None, 8)                       │                 0 │
├────────────────────────────────────────────┼─────────────────────────────────┼───────────────────┤
│ bn (BatchNormalization)                    │ (None, 8)                       │                32 │
├────────────────────────────────────────────┼─────────────────────────────────┼───────────────────┤
│ dense_b (Dense)                            │ (None, 3)                       │                27 │
└────────────────────────────────────────────┴─────────────────────────────────┴───────────────────┘
 Total params: 99 (396.00 B)
 Trainable params: 83 (332.00 B)
 Non-trainable params: 16 (64.00 B)
"""

SEQUENTIAL_IN_33 = (
    'Model: "seq"\n'
    '┏━━━━━━━━━━━━┳━━━━━━━━┳━━━━━┓\n'
    '┃ Layer      ┃ Output ┃ Pa… ┃\n'
    '┃ (type)     ┃ Shape  ┃   # ┃\n'
    '┡━━━━━━━━━━━━╇━━━━━━━━╇━━━━━┩\n'
    '│ dense_a    │ (None, │  40 │\n'
    '│ (Dense)    │ 8)     │     │\n'
    '├────────────┼────────┼─────┤\n'
    '│ drop       │ (None, │   0 │\n'
    '│ (Dropout)  │ 8)     │     │\n'
    '├────────────┼────────┼─────┤\n'
    '│ bn         │ (None, │  32 │\n'
    '│ (BatchNor… │ 8)     │     │\n'
    '├────────────┼────────┼─────┤\n'
    '│ dense_b    │ (None, │  27 │\n'
    '│ (Dense)    │ 3)     │     │\n'
    '└────────────┴────────┴─────┘\n'
    ' Total params: 99 (396.00 B)\n'
    ' Trainable params: 83 (332.00 B)\n'
    ' Non-trainable params: 16 (64.00 \n'
    'B)\n'
)



def test_print_fn_gets_the_whole_text_in_one_call():
    assert summary_text(sequential()) == SEQUENTIAL


def test_without_print_fn_the_text_goes_to_stdout(capsys):
    sequential().summary()
    assert capsys.readouterr().out == SEQUENTIAL


def test_show_trainable_adds_the_trainable_column():
    model = sequential()
    model.get_layer("bn").trainable = False
    assert summary_text(model, show_trainable=True) == SEQUENTIAL_TRAINABLE


def test_a_narrow_line_length_wraps_headers_and_cells_and_cuts_long_words():
    assert summary_text(sequential(), line_length=40) == SEQUENTIAL_40


def test_a_line_length_wider_than_the_console_is_cropped_at_the_console(monkeypatch):
    assert summary_text(sequential(), line_length=100) == SEQUENTIAL_100
    monkeypatch.setenv("COLUMNS", "120")
    assert summary_text(sequential(), line_length=100) == SEQUENTIAL_100_IN_120


def test_a_narrow_console_narrows_the_default_table_and_wraps_the_totals(monkeypatch):
    monkeypatch.setenv("COLUMNS", "33")
    assert summary_text(sequential()) == SEQUENTIAL_IN_33


def test_positions_set_the_column_widths():
    assert summary_text(sequential(), positions=[0.3, 0.5, 0.6]) == SEQUENTIAL_POSITIONS


def test_layer_range_names_the_first_and_last_layer():
    assert summary_text(sequential(), layer_range=["drop", "bn"]) == SEQUENTIAL_RANGE
    assert summary_text(sequential(), layer_range=("bn", "drop")) == SEQUENTIAL_RANGE  # either order
    assert summary_text(sequential(), layer_range=["dense", "dense"]) == SEQUENTIAL  # regexes
    with pytest.raises(ValueError, match="do not match the layer names"):
        sequential().summary(layer_range=["nope", "bn"])
    with pytest.raises(ValueError, match="must be a list or tuple of length 2"):
        sequential().summary(layer_range=["bn"])
    with pytest.raises(ValueError, match="should contain string type only"):
        sequential().summary(layer_range=["bn", 3])


def test_too_narrow_a_line_length_is_an_error_as_in_keras():
    with pytest.raises(ValueError, match="Insufficient console width"):
        sequential().summary(line_length=12)


def test_several_inputs_and_outputs_and_a_shared_layer():
    assert summary_text(two_inputs_two_outputs()) == MULTI
    assert summary_text(two_inputs_two_outputs(), show_trainable=True, line_length=45) == MULTI_TRAINABLE_45


def test_nested_models_and_expand_nested():
    assert summary_text(nested()) == NESTED
    assert summary_text(nested(), expand_nested=True, line_length=50) == NESTED_EXPANDED_50


def test_subclassed_model_shows_the_shapes_its_layers_were_built_for():
    model = Subclassed(name="sub")
    assert summary_text(model) == SUBCLASSED_UNBUILT
    model(np.ones((2, 4), "float32"))
    model.d1.trainable = False
    assert summary_text(model, show_trainable=True) == SUBCLASSED_CALLED
    symbolic = Subclassed(name="sub")
    symbolic(keras.Input((4,)))
    assert summary_text(symbolic) == SUBCLASSED_SYMBOLIC


def test_subclassed_model_built_by_build():
    # Not Keras's text: Keras 3.15's build() of a subclass without its own build() leaves the
    # layers unbuilt ("?", "0 (unbuilt)", 0 params). pykeras's build() builds them, so the table
    # shows what a symbolic call shows (SUBCLASSED_SYMBOLIC): unknown batch size, real counts.
    model = Subclassed(name="sub")
    model.build((None, 4))
    assert summary_text(model) == SUBCLASSED_SYMBOLIC
