// Package interval implements sound interval arithmetic on float64.
package interval
