// The sample app of the shop example: one static HTTP server for every role (web, api, db,
// reports), standard library only. Built into images by src/tools/sample-images.ts.
module ferry.dev/examples/sample-app

go 1.26.0
