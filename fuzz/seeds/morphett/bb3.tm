; bb3: 3-state 2-symbol busy beaver step champion: 21 steps, 5 ones
; Morphett format, written by arsim; start state 0.
; arsim-blank: 0
; arsim-symbols: _1
; states renamed: 0 = A, halt = Z
0 _ 1 r B
0 1 1 r halt

B _ 1 l B
B 1 _ r C

C _ 1 l C
C 1 1 l 0
