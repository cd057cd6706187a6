"""Philox4x32-10 and the Dropout mask rule in numpy, written from the published algorithm (Salmon et
al., SC 2011), as the reference the native masks are checked against."""
import numpy as np

MULTIPLIERS = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
WEYL = (np.uint64(0x9E3779B9), np.uint64(0xBB67AE85))
LOW32 = np.uint64(0xFFFFFFFF)

# Known-answer vectors of the Random123 distribution (kat_vectors, philox4x32 10 rounds):
# (counter words, key words, output words).
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def philox_blocks(counters, key):
    """The blocks of ``counters`` (an (n, 4) array of 32-bit words) under ``key`` (two words): (n, 4)
    uint32."""
    c = [np.asarray(counters, dtype=np.uint64)[:, j].copy() for j in range(4)]
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    for _ in range(10):
        p0 = MULTIPLIERS[0] * c[0]  # < 2^64: both factors are below 2^32
        p1 = MULTIPLIERS[1] * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ k0, p1 & LOW32, (p0 >> np.uint64(32)) ^ c[3] ^ k1, p0 & LOW32]
        k0, k1 = (k0 + WEYL[0]) & LOW32, (k1 + WEYL[1]) & LOW32
    return np.stack(c, axis=1).astype(np.uint32)


def dropout_mask(shape, key, rate, scale):
    """The mask ``_core.dropout_mask`` documents: element i kept (``scale``, else 0) when the float32
    uniform of word i % 4 of block i // 4 (counter i // 4, the 64-bit key low word first) is >= rate."""
    size = int(np.prod(shape))
    blocks = np.arange((size + 3) // 4, dtype=np.uint64)
    counters = np.stack([blocks & LOW32, blocks >> np.uint64(32), 0 * blocks, 0 * blocks], axis=1)
    words = philox_blocks(counters, (key & 0xFFFFFFFF, key >> 32)).reshape(-1)[:size]
    uniform = (words >> 8).astype(np.float32) * np.float32(2.0**-24)
    return np.where(uniform >= np.float32(rate), np.float32(scale), np.float32(0)).reshape(shape)
