module example.com/irisgo

go 1.26

require (
	gonum.org/v1/gonum v0.15.1
	gorgonia.org/tensor v0.9.24
)
