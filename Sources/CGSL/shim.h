#pragma once
// OpenBLAS's cblas.h first, then switch GSL's own gsl_cblas.h off: both define CBLAS_TRANSPOSE
// with different cases, and a Swift target importing both modules would not compile.
#include <cblas.h>
#define __GSL_CBLAS_H__ 1
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_statistics_float.h>
