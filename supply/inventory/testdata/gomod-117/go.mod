module example.com/demo

go 1.22.1

toolchain go1.22.5

require (
	github.com/google/uuid v1.6.0
	golang.org/x/net v0.20.0 // indirect
	example.com/local v1.0.0
	example.com/fork v1.0.0
	example.com/excluded v1.1.0
)

exclude example.com/excluded v1.1.0

replace example.com/local => ../local

replace example.com/fork v1.0.0 => example.com/fork2 v1.0.1
