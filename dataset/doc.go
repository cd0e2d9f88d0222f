// Package dataset holds training and test data of pricing surrogates — inputs,
// value labels, gradient labels and optional second-order labels — and reads and
// writes them as NumPy .npz archives and CSV files.
//
// # Layout
//
// A Set of N rows and n inputs per row holds, row-major (C order):
//
//	X        N×n    inputs (spots)
//	Y        N      value labels (prices or payoffs)
//	DYDX     N×n    gradient labels ∂y/∂x
//	Gamma    N      optional: 1ᵀH1, the sum of all second derivatives
//	Hessian  N×n×n  optional: full Hessians, entry (r, i, j) at r·n·n + i·n + j
//
// Units are those of the data: the package never rescales.
//
// # Files
//
// A .npz file is a zip archive of .npy files (NPY format 1.0, dtype '<f8',
// C order) named x.npy, y.npy, dydx.npy and optionally gamma.npy and
// hessian.npy, with shapes (N, n), (N,), (N, n), (N,) and (N, n, n):
// numpy.load reads it as it is. Readers also accept y and gamma of shape (N, 1),
// NPY format 2.0 and 3.0 headers, and deflated entries, and ignore other
// arrays. Writers store the entries uncompressed with a zero modification
// time, so that equal data give byte-identical files.
//
// Readers accept arrays of float64, float32 and float16, and of signed and
// unsigned integers of 1, 2, 4 and 8 bytes, in either byte order, and convert
// every value to float64 exactly; Set.Widened lists the arrays that were not
// float64. A 64-bit integer that float64 cannot represent exactly (one beyond
// 2⁵³ in magnitude that is not a multiple of a large enough power of two) is
// an error naming the array and the row. Bool, complex, string, object and
// other dtypes are refused.
//
// A .csv file has a header row naming its columns x1…xn, y, dydx1…dydxn and
// optionally gamma, in any order; other columns are ignored. Inputs and
// gradients may instead be numbered from 0, x0…x(n-1) and dydx0…dydx(n-1), but
// both alike and without gaps. A leading UTF-8 byte order mark is skipped.
//
// Every writer is atomic: it writes a temporary file in the destination's
// directory and renames it into place, so a reader never sees a partial file
// and a failed write leaves neither the file nor a temporary behind.
//
// # Errors
//
// Errors caused by a file's content name the file, the array or line and
// column, what was found and what was wanted. A file cut short gives an error
// that wraps io.ErrUnexpectedEOF. Sizes declared in headers are checked against
// the size of the data before anything is allocated.
package dataset
