; bb5: 5-state 2-symbol busy beaver champion: 47,176,870 steps, 4,098 ones
; Morphett format, written by arsim; start state 0.
; arsim-blank: 0
; arsim-symbols: _1
; states renamed: 0 = A, halt = Z
0 _ 1 r B
0 1 1 l C

B _ 1 r C
B 1 1 r B

C _ 1 r D
C 1 _ l E

D _ 1 l 0
D 1 1 l D

E _ 1 r halt
E 1 _ l 0
