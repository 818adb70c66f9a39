; bb4: 4-state 2-symbol busy beaver champion: 107 steps, 13 ones
; Morphett format, written by arsim; start state 0.
; arsim-blank: 0
; arsim-symbols: _1
; states renamed: 0 = A, halt = Z
0 _ 1 r B
0 1 1 l B

B _ 1 l 0
B 1 _ l C

C _ 1 r halt
C 1 1 l D

D _ 1 r D
D 1 _ r 0
