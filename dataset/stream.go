package dataset

import "context"

// A Source draws samples into Sets, in a fixed order: successive calls of
// Fill continue where the last one stopped. The samplers of packages
// bachelier and heston are Sources.
type Source interface {
	// NewSet returns a zeroed Set of rows rows with the source's dims and
	// arrays.
	NewSet(rows int) *Set
	// Fill sets the rows of dst to the next dst.N() samples and returns dst.
	Fill(dst *Set) *Set
}

const panicStream = "dataset: total < 0 or blockRows < 1"

// Stream draws total samples from src in blocks of at most blockRows rows
// and passes each block to sink, which must not keep it: the next block
// reuses its memory. Before each block Stream checks ctx, and it returns
// ctx.Err() if ctx is done, or the first error of sink. The samples are
// those of src.Fill(src.NewSet(total)), bit for bit, whatever blockRows, if
// src's samples do not depend on how they are split into blocks. Stream
// panics if total < 0 or blockRows < 1.
func Stream(ctx context.Context, src Source, total, blockRows int, sink func(*Set) error) error {
	if total < 0 || blockRows < 1 {
		panic(panicStream)
	}
	block := src.NewSet(min(total, blockRows))
	for done := 0; done < total; {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(blockRows, total-done)
		b := block
		if k < block.N() {
			b = block.Slice(0, k)
		}
		if err := sink(src.Fill(b)); err != nil {
			return err
		}
		done += k
	}
	return nil
}
