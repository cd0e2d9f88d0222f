package study

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestTQuantile(t *testing.T) {
	// Textbook table values of t(0.975; dof).
	for _, tc := range []struct {
		dof  int
		want float64
	}{{1, 12.7062}, {2, 4.3027}, {4, 2.7764}, {9, 2.2622}, {30, 2.0423}} {
		if got := tQuantile(0.975, tc.dof); !near(got, tc.want, 5e-5) {
			t.Errorf("t(0.975; %d) = %.6f, want %.4f", tc.dof, got, tc.want)
		}
	}
}

func TestMeanCI(t *testing.T) {
	// x = 1…5: mean 3, SD √2.5, half-width 2.776445·√2.5/√5 = 1.963243.
	iv := MeanCI([]float64{1, 2, 3, 4, 5}, 0.95)
	if iv.N != 5 || iv.Mean != 3 || !near(iv.SD, math.Sqrt(2.5), 1e-15) ||
		!near(iv.Lo, 3-1.963243, 1e-6) || !near(iv.Hi, 3+1.963243, 1e-6) {
		t.Errorf("MeanCI(1…5) = %+v, want mean 3 ± 1.963243", iv)
	}
	if iv := MeanCI([]float64{7}, 0.95); iv.Mean != 7 || !math.IsNaN(iv.Lo) || !math.IsNaN(iv.SD) {
		t.Errorf("MeanCI of one value = %+v, want mean 7 and NaN interval", iv)
	}
	if iv := MeanCI(nil, 0.95); iv.N != 0 || !math.IsNaN(iv.Mean) {
		t.Errorf("MeanCI(nil) = %+v, want NaN", iv)
	}
	// Coverage: the 95 % interval of 5 normal draws covers the true mean
	// about 95 % of the time (binomial SD of the rate over 4000 trials ≈ 0.0034).
	rng := rand.New(rand.NewPCG(1, 2))
	covered, trials := 0, 4000
	x := make([]float64, 5)
	for range trials {
		for i := range x {
			x[i] = 10 + 3*rng.NormFloat64()
		}
		if iv := MeanCI(x, 0.95); iv.Lo <= 10 && 10 <= iv.Hi {
			covered++
		}
	}
	if rate := float64(covered) / float64(trials); !near(rate, 0.95, 0.014) {
		t.Errorf("coverage of the 95 %% t interval = %.4f, want 0.95", rate)
	}
}

func TestWilcoxonTextbook(t *testing.T) {
	// Hollander & Wolfe (1973), p. 29, the example of R's wilcox.test: x − y
	// has ranks 1…9 with the negative ones at ranks 2 and 3, so W+ = 40 and
	// P(W+ ≥ 40) = 10/512; two-sided 20/512 = 0.0390625.
	x := []float64{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30}
	y := []float64{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29}
	d := make([]float64, len(x))
	for i := range x {
		d[i] = x[i] - y[i]
	}
	w, p := Wilcoxon(d)
	if w != 40 || !near(p, 20.0/512, 1e-15) {
		t.Errorf("Wilcoxon(Hollander–Wolfe) = W %g, p %g; want 40, 0.0390625", w, p)
	}
	// All five seeds positive: the smallest p-value of n = 5, 2/32.
	if w, p := Wilcoxon([]float64{0.1, 0.2, 0.3, 0.4, 0.5}); w != 15 || p != 0.0625 {
		t.Errorf("Wilcoxon(5 positive) = %g, %g; want 15, 0.0625", w, p)
	}
	// Zeros are dropped, ties share midranks: d = {0, 1, −1, 2, 2, 3}. Non-zero
	// |d| = 1, 1, 2, 2, 3 → ranks 1.5, 1.5, 3.5, 3.5, 5; W+ = 1.5+3.5+3.5+5 = 13.5.
	// Doubled ranks 3, 3, 7, 7, 10 (total 30): patterns with doubled W+ ≥ 27 or
	// ≤ 3: sums 30, 27 (drop one 3, twice), 0, 3 (twice) → 6 of 32.
	if w, p := Wilcoxon([]float64{0, 1, -1, 2, 2, 3}); w != 13.5 || !near(p, 6.0/32, 1e-15) {
		t.Errorf("Wilcoxon(ties, zero) = %g, %g; want 13.5, 0.1875", w, p)
	}
	if w, p := Wilcoxon([]float64{0, 0, math.NaN()}); w != 0 || p != 1 {
		t.Errorf("Wilcoxon(zeros) = %g, %g; want 0, 1", w, p)
	}
}

// bruteWilcoxon enumerates the 2ⁿ sign patterns of the midranks of the
// non-zero differences d.
func bruteWilcoxon(d []float64) float64 {
	var abs []float64
	obs := 0.0
	for _, v := range d {
		if v != 0 {
			abs = append(abs, math.Abs(v))
		}
	}
	n := len(abs)
	// Midranks by counting: rank = #smaller + (#equal + 1)/2.
	rank := make([]float64, n)
	total := 0.0
	for i := range abs {
		less, eq := 0, 0
		for j := range abs {
			if abs[j] < abs[i] {
				less++
			} else if abs[j] == abs[i] {
				eq++
			}
		}
		rank[i] = float64(less) + float64(eq+1)/2
		total += rank[i]
	}
	k := 0
	for _, v := range d {
		if v != 0 {
			if v > 0 {
				obs += rank[k]
			}
			k++
		}
	}
	mean := total / 2
	hits := 0
	for mask := range 1 << n {
		w := 0.0
		for i := range n {
			if mask>>i&1 == 1 {
				w += rank[i]
			}
		}
		if math.Abs(w-mean) >= math.Abs(obs-mean)-1e-9 {
			hits++
		}
	}
	return float64(hits) / float64(int(1)<<n)
}

func TestWilcoxonBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		n := 1 + rng.IntN(14)
		d := make([]float64, n)
		for i := range d {
			// Coarse values so that ties and zeros are common.
			d[i] = float64(rng.IntN(9)-3) / 4
		}
		_, p := Wilcoxon(d)
		if want := bruteWilcoxon(d); !near(p, want, 1e-12) {
			t.Fatalf("trial %d: Wilcoxon(%v) p = %.15g, enumeration %.15g", trial, d, p, want)
		}
	}
}

func TestSignTest(t *testing.T) {
	// 9 of 10 positive: 2·(1 + 10)/1024.
	d := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, -1}
	if p := SignTest(d); !near(p, 22.0/1024, 1e-12) {
		t.Errorf("SignTest(9+, 1−) = %g, want %g", p, 22.0/1024)
	}
	// Zeros dropped: 3 positive of 3 → 2/8.
	if p := SignTest([]float64{0, 1, 2, 3, 0}); !near(p, 0.25, 1e-12) {
		t.Errorf("SignTest(3+, 2 zeros) = %g, want 0.25", p)
	}
	if p := SignTest([]float64{1, -1}); p != 1 {
		t.Errorf("SignTest(1+, 1−) = %g, want 1", p)
	}
	if p := SignTest([]float64{0}); p != 1 {
		t.Errorf("SignTest(0) = %g, want 1", p)
	}
	// Against the binomial sum directly.
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		n := 1 + rng.IntN(20)
		d := make([]float64, n)
		pos, neg := 0, 0
		for i := range d {
			d[i] = float64(rng.IntN(5) - 2)
			if d[i] > 0 {
				pos++
			} else if d[i] < 0 {
				neg++
			}
		}
		m := pos + neg
		want := 1.0
		if m > 0 {
			tail := 0.0
			for k := 0; k <= min(pos, neg); k++ {
				tail += binom(m, k) / math.Pow(2, float64(m))
			}
			want = min(1, 2*tail)
		}
		if p := SignTest(d); !near(p, want, 1e-12) {
			t.Fatalf("SignTest(%v) = %g, want %g", d, p, want)
		}
	}
}

// binom returns n choose k.
func binom(n, k int) float64 {
	c := 1.0
	for i := range k {
		c = c * float64(n-i) / float64(i+1)
	}
	return c
}

func TestComparePaired(t *testing.T) {
	a := []float64{1, 2, math.NaN(), 4, 5, 6}
	b := []float64{0.5, 1, 1, 3, 3.5, 6.5}
	c := ComparePaired(a, b, 0.95)
	// Differences 0.5, 1, 1, 1.5, −0.5 (the NaN pair dropped).
	want := MeanCI([]float64{0.5, 1, 1, 1.5, -0.5}, 0.95)
	if c.Diff != want {
		t.Errorf("ComparePaired diff = %+v, want %+v", c.Diff, want)
	}
	if _, p := Wilcoxon([]float64{0.5, 1, 1, 1.5, -0.5}); c.Wilcoxon != p || c.Sign != 12.0/32 {
		t.Errorf("ComparePaired p-values = %g, %g", c.Wilcoxon, c.Sign)
	}
}
