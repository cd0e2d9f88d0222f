package pipeline

import (
	"context"
	"sync"
	"testing"

	"github.com/sobolev-pruning/sobolev/prune"
)

// TestPruneCache prunes one net to several sizes with every criterion, with
// and without a shared PruneCache (concurrently), and checks that the pruned
// nets are the same bits.
func TestPruneCache(t *testing.T) {
	net, set := criteriaNet(t)
	ctx := context.Background()
	var cache PruneCache
	criteria := []prune.Criterion{prune.ByIASA, prune.ByIASAPlain, prune.ByMagnitude, prune.ByRandom, prune.ByTaylor, prune.ByOBD, prune.BySobolevTaylor}
	sizes := []int{4, 9, 15}
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(criteria)*len(sizes))
	for _, c := range criteria {
		for _, keep := range sizes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cfg := Default().Prune
				cfg.Criterion, cfg.Keep, cfg.Boxes = c, keep, 8
				opts := PruneOptions{Config: cfg, Y: set.Y, DYDX: set.DYDX, Seed: 5}
				want, _, err := PruneModel(ctx, net, set.X, opts)
				if err != nil {
					errs <- err
					return
				}
				opts.Cache = &cache
				got, _, err := PruneModel(ctx, net, set.X, opts)
				if err != nil {
					errs <- err
					return
				}
				for i, p := range want.Params.Flat {
					if got.Params.Flat[i] != p {
						t.Errorf("%s keep %d: parameter %d is %v with the cache, %v without", c, keep, i, got.Params.Flat[i], p)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(cache.scores) != len(criteria) {
		t.Errorf("the cache holds the scores of %d criteria, want %d", len(cache.scores), len(criteria))
	}
}
