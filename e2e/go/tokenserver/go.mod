// Wrapper module of the e2e token server: a small Docker registry token
// service (see main.go) in front of docker-registry for permission tests
// (e2e/registry.sh up --token). Standard library only. Built by
// `e2e/tools.sh tokenserver`.
module ferry.dev/e2e/tokenserver

go 1.25.0
