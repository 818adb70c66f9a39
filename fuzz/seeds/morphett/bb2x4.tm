; bb2x4: 2-state 4-symbol busy beaver champion: 3,932,964 steps, 2,050 non-blank
; Morphett format, written by arsim; start state 0.
; arsim-blank: 0
; arsim-symbols: _123
; states renamed: 0 = A, halt = Z
0 _ 1 r B
0 1 2 l 0
0 2 1 r 0
0 3 1 r 0

B _ 1 l B
B 1 1 l 0
B 2 3 r B
B 3 1 r halt
