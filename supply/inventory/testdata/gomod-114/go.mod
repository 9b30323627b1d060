module example.com/old

go 1.14

require (
	github.com/pkg/errors v0.8.0
	golang.org/x/text v0.3.0 // indirect
)
