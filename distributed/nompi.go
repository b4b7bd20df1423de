//go:build !mpi

package distributed

// MPIAvailable reports whether this binary was built with the MPI backend.
const MPIAvailable = false

// InitMPI returns ErrNoMPI: this binary was built without the mpi tag.
func InitMPI() (Comm, error) { return nil, ErrNoMPI }
