; bb2x3: 2-state 3-symbol busy beaver champion: 38 steps, 9 non-blank
; Morphett format, written by arsim; start state 0.
; arsim-blank: 0
; arsim-symbols: _12
; states renamed: 0 = A, halt = Z
0 _ 1 r B
0 1 2 l B
0 2 1 r halt

B _ 2 l 0
B 1 2 r B
B 2 1 l B
