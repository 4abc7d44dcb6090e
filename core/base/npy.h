#pragma once
// Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0) as a Matrix.
//
// readNpy accepts 2-D C-order arrays of little-endian float32 ('<f4') or float64 ('<f8', converted
// to float32); a 1-D array of length n is read as n x 1. Anything else (Fortran order, other dtypes,
// 0-D or 3-D shapes, truncated data, a bad magic string) throws std::runtime_error with a message
// that starts with the file name ("X.npy: dtype '<i8' is not supported; expected float32 or float64").
// writeNpy writes version 1.0, '<f4', C order; it throws std::runtime_error if the file can't be written.
// Both are reentrant; they share no state.

#include "core/base/matrix.h"

#include <QByteArray>
#include <QString>

namespace cospace {

Matrix readNpy(const QString &path);
// The same for a .npy file already in memory; `name` starts the error messages.
Matrix readNpyBytes(const QByteArray &bytes, const QString &name);
void writeNpy(const QString &path, const Matrix &matrix);

}  // namespace cospace
