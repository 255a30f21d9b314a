package store

// SetTestURI gives the package's own tests the FerretDB that the external
// tests' TestMain started.
func SetTestURI(uri string) { ferretURI = uri }
