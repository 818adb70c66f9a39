; binary-add: binary addition, MSB first: 101+11 -> 1000
; Morphett format, written by arsim; start state 0.
; arsim-symbols: _01+xy
; states renamed: 0 = right, halt = done
0 _ _ l takeb
0 0 0 r 0
0 1 1 r 0
0 + + r 0
0 x x r 0
0 y y r 0

takeb 0 _ l carry0
takeb 1 _ l carry1
takeb + _ l clean

carry0 0 0 l carry0
carry0 1 1 l carry0
carry0 + + l add0

carry1 0 0 l carry1
carry1 1 1 l carry1
carry1 + + l add1

add0 _ x r 0
add0 0 x r 0
add0 1 y r 0
add0 x x l add0
add0 y y l add0

add1 _ y r 0
add1 0 y r 0
add1 1 x l inc
add1 x x l add1
add1 y y l add1

inc _ 1 r 0
inc 0 1 r 0
inc 1 0 l inc

clean _ _ r halt
clean 0 0 l clean
clean 1 1 l clean
clean x 0 l clean
clean y 1 l clean
