; bb2: 2-state 2-symbol busy beaver champion: 6 steps, 4 ones
; Morphett format, written by arsim; start state 0.
; arsim-blank: 0
; arsim-symbols: _1
; states renamed: 0 = A, halt = Z
0 _ 1 r B
0 1 1 l B

B _ 1 l 0
B 1 1 r halt
