// Module of the two tiny static programs packed into the real node's images
// (see e2e/realnode/images.ts): pause, the pod sandbox's init, and podtool, the
// test workload. Standard library only. Built by `e2e/tools.sh node`.
module ferry.dev/e2e/nodeimg

go 1.25.0
