; copy: copies a word over {a,b}: w -> w#w
; Morphett format, written by arsim; start state 0.
; arsim-symbols: _ab#AB
; states renamed: 0 = init, halt = done
0 _ # l rewind
0 a a r 0
0 b b r 0

rewind _ _ r next
rewind a a l rewind
rewind b b l rewind
rewind # # l rewind
rewind A A r next
rewind B B r next

next a A r carry_a
next b B r carry_b
next # # l unmark

carry_a _ a l rewind
carry_a a a r carry_a
carry_a b b r carry_a
carry_a # # r carry_a

carry_b _ b l rewind
carry_b a a r carry_b
carry_b b b r carry_b
carry_b # # r carry_b

unmark _ _ r halt
unmark A a l unmark
unmark B b l unmark
